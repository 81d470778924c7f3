/**
 * The one Flex message for files the bot can send on a tap: `/find`'s list and the AI's offers.
 * One bubble; under a short heading, one entry per file (its name in bold, a few detail lines, a
 * postback button); an optional footer note and quick replies. Texts come from the caller, already
 * in the reader's language; the button's data is the caller's (`find:…`, `offer:…`).
 */
import type { messagingApi } from '@line/bot-sdk';

/** LINE's limits: altText 1500 characters, a postback's displayText 300. */
const MAX_ALT_TEXT = 1500;
const MAX_DISPLAY_TEXT = 300;

export interface FileEntry {
  /** The file's name as one clean line. */
  name: string;
  /** Under the name, small and grey: folder, size, date. */
  details: string[];
  button: { label: string; data: string; displayText?: string };
  /** A preview of the file (an https URL of a JPEG at most 240 px), shown beside its name. */
  imageUrl?: string;
}

export interface FileList {
  /** For clients that cannot show Flex (and the notification): the whole list as text. */
  altText: string;
  heading: string;
  entries: FileEntry[];
  footer?: string;
  quickReply?: messagingApi.QuickReply;
}

/** At most `max` UTF-16 units, never half a surrogate pair, marked with … when cut. */
const cut = (s: string, max: number) =>
  s.length <= max ? s : `${s.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;

const small = (text: string): messagingApi.FlexText => ({
  type: 'text',
  text,
  size: 'xs',
  color: '#888888',
  wrap: true,
});

/**
 * The name and details, beside the preview when there is one: a square crop (LINE's image component
 * takes `w:h` with h at most 3 w; a fixed 1:1 fits every picture, tall scans too) of a fixed size.
 */
function nameAndDetails(e: FileEntry): messagingApi.FlexComponent[] {
  const texts: messagingApi.FlexComponent[] = [
    { type: 'text', text: e.name, wrap: true, weight: 'bold', size: 'sm' },
    ...e.details.map(small),
  ];
  if (!e.imageUrl) return texts;
  return [
    {
      type: 'box',
      layout: 'horizontal',
      spacing: 'md',
      contents: [
        { type: 'image', url: e.imageUrl, size: 'xs', aspectRatio: '1:1', aspectMode: 'cover', flex: 0 },
        { type: 'box', layout: 'vertical', spacing: 'sm', flex: 1, contents: texts },
      ],
    },
  ];
}

function entryBox(e: FileEntry): messagingApi.FlexBox {
  return {
    type: 'box',
    layout: 'vertical',
    spacing: 'sm',
    contents: [
      ...nameAndDetails(e),
      {
        type: 'button',
        style: 'primary',
        height: 'sm',
        action: {
          type: 'postback',
          label: e.button.label,
          data: e.button.data,
          ...(e.button.displayText ? { displayText: cut(e.button.displayText, MAX_DISPLAY_TEXT) } : {}),
        },
      },
    ],
  };
}

export function fileListMessage(list: FileList): messagingApi.FlexMessage {
  return {
    type: 'flex',
    altText: cut(list.altText, MAX_ALT_TEXT),
    contents: {
      type: 'bubble',
      body: {
        type: 'box',
        layout: 'vertical',
        spacing: 'lg',
        contents: [
          { type: 'text', text: list.heading, wrap: true, size: 'xs', color: '#666666' },
          ...list.entries.map(entryBox),
          ...(list.footer ? [small(list.footer)] : []),
        ],
      },
    },
    ...(list.quickReply ? { quickReply: list.quickReply } : {}),
  };
}
