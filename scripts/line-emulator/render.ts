/**
 * The bot's LINE messages as a reader sees them: a static HTML page laid out like a LINE chat on a
 * phone (the chat background, the bot's bubbles on the left, the reader's own on the right, quick
 * reply chips above the input bar), Flex bubbles and carousels drawn by LINE's Flex rules (box
 * layouts and flex weights, spacing and margin keywords, text sizes, button styles and heights,
 * image sizes and aspect ratios; values as in LINE's Flex Message spec,
 * test/fixtures/line-openapi/messaging-api.yml). For the README's chat pictures
 * (scripts/screenshots.ts); Node-side only.
 *
 * Every text, URL and colour comes from a message, so every one is escaped or checked: a message
 * is shown, never run.
 */
import { renderTextV2 } from './transcript.ts';

type Json = Record<string, unknown>;

/** One line of the chat: a message from the bot, from the reader (`me`), or a grey notice. */
export type ChatLine =
  | { from: 'bot'; message: unknown }
  | { from: 'me'; text: string }
  | { from: 'notice'; text: string };

export interface ChatPage {
  /** The chat's name in the header (a group's name, or the bot's in a 1:1 chat). */
  title: string;
  /** The bot's name over its bubbles (groups show who speaks). */
  botName?: string;
  lines: ChatLine[];
  /** The time printed beside each bubble, e.g. `上午 9:41`. */
  time?: string;
}

// ---------------------------------------------------------------------------------------------
// Escaping and checked values

const esc = (s: unknown): string =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Only http(s) URLs reach an attribute (no `javascript:`), escaped there. */
const safeUrl = (v: unknown): string | undefined => {
  const s = str(v);
  return s && /^https?:\/\//i.test(s) ? s : undefined;
};
/** LINE's colours are `#RRGGBB` or `#RRGGBBAA`; anything else is ignored, never put into CSS. */
const color = (v: unknown): string | undefined => {
  const s = str(v);
  return s && /^#(?:[0-9a-f]{6}|[0-9a-f]{8})$/i.test(s) ? s : undefined;
};

/** Spacing and margin keywords (LINE's px). */
const SPACING: Record<string, number> = { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
/** Text, span and icon sizes. */
const TEXT_SIZE: Record<string, number> = {
  xxs: 11,
  xs: 13,
  sm: 14,
  md: 16,
  lg: 19,
  xl: 22,
  xxl: 29,
  '3xl': 35,
  '4xl': 48,
  '5xl': 74,
};
/** An image's maximum width by keyword. */
const IMAGE_SIZE: Record<string, number> = {
  xxs: 40,
  xs: 60,
  sm: 80,
  md: 100,
  lg: 120,
  xl: 140,
  xxl: 160,
  '3xl': 180,
  '4xl': 240,
  '5xl': 360,
};
/** A bubble's width by `size`. */
const BUBBLE_WIDTH: Record<string, number> = {
  nano: 120,
  micro: 160,
  deca: 220,
  hecto: 241,
  kilo: 260,
  mega: 300,
  giga: 500,
};
/** A box's borderWidth keywords. */
const BORDER_WIDTH: Record<string, number> = { none: 0, light: 0.5, normal: 1, medium: 2, 'semi-bold': 3, bold: 4 };
/** Paddings of a bubble's blocks (hero has none). */
const BLOCK_PADDING: Record<string, number> = { header: 20, body: 20, footer: 10 };

/** A length as LINE writes it: `12px`, `50%`, or a keyword from `table`. */
const length = (v: unknown, table: Record<string, number> = SPACING): string | undefined => {
  const s = str(v);
  if (s === undefined) return undefined;
  if (Object.hasOwn(table, s)) return `${table[s]}px`;
  return /^\d+(?:\.\d+)?(?:px|%)$/.test(s) ? s : undefined;
};

const style = (decls: Array<[string, string | number | undefined | false]>): string => {
  const css = decls
    .filter(([, v]) => v !== undefined && v !== false && v !== '')
    .map(([k, v]) => `${k}:${v}`)
    .join(';');
  return css ? ` style="${esc(css)}"` : '';
};

// ---------------------------------------------------------------------------------------------
// Flex components

type Layout = 'vertical' | 'horizontal' | 'baseline';

/** The flex item declarations LINE's `flex` means in a parent of `layout`. */
function flexItem(c: Json, layout: Layout): Array<[string, string | number | undefined]> {
  const byDefault = layout === 'vertical' ? 0 : 1;
  const grow = typeof c.flex === 'number' && c.flex >= 0 ? c.flex : byDefault;
  // flex 0 is "as big as the content"; flex n shares the free space in proportion.
  return grow === 0
    ? [['flex', '0 0 auto']]
    : [
        ['flex', `${grow} 0 0`],
        [layout === 'vertical' ? 'min-height' : 'min-width', '0'],
      ];
}

const ALIGN: Record<string, string> = { start: 'flex-start', end: 'flex-end', center: 'center' };
const GRAVITY: Record<string, string> = { top: 'flex-start', bottom: 'flex-end', center: 'center' };

/** Where a child sits in its parent: margin (or the parent's spacing), gravity, offsets. */
function placement(
  c: Json,
  layout: Layout,
  spacing: string | undefined,
  first: boolean,
): Array<[string, string | number | undefined]> {
  const gap = first ? undefined : (length(c.margin) ?? spacing);
  const absolute = c.position === 'absolute';
  return [
    [layout === 'vertical' ? 'margin-top' : 'margin-left', absolute ? undefined : gap],
    ...flexItem(c, layout),
    ['align-self', layout === 'horizontal' ? GRAVITY[str(c.gravity) ?? ''] : undefined],
    ['position', absolute ? 'absolute' : c.position === 'relative' ? 'relative' : undefined],
    ['top', length(c.offsetTop)],
    ['bottom', length(c.offsetBottom)],
    ['left', length(c.offsetStart)],
    ['right', length(c.offsetEnd)],
  ];
}

function component(c: unknown, layout: Layout, spacing: string | undefined, first: boolean): string {
  if (!isObject(c)) return '';
  const place = placement(c, layout, spacing, first);
  switch (c.type) {
    case 'box':
      return box(c, place);
    case 'text':
      return text(c, place, layout);
    case 'button':
      return button(c, place);
    case 'image':
      return image(c, place);
    case 'icon':
      return icon(c, place, first ? undefined : (length(c.margin) ?? spacing));
    case 'separator':
      return separator(c, layout, first ? undefined : (length(c.margin) ?? spacing));
    case 'filler':
      return `<div class="fx-filler"${style(flexItem({ flex: c.flex ?? 1 }, layout))}></div>`;
    case 'span':
      return span(c);
    case 'video':
      return video(c, place);
    default:
      return `<div class="fx-unknown"${style(place)}>[${esc(c.type)}]</div>`;
  }
}

function box(c: Json, place: Array<[string, string | number | undefined]>): string {
  const layout: Layout = c.layout === 'horizontal' || c.layout === 'baseline' ? c.layout : 'vertical';
  const spacing = length(c.spacing);
  const contents = Array.isArray(c.contents) ? c.contents : [];
  const background = isObject(c.background) && c.background.type === 'linearGradient' ? c.background : undefined;
  const gradient = background
    ? `linear-gradient(${esc(/^-?\d+(?:\.\d+)?deg$/.test(str(background.angle) ?? '') ? background.angle : '0deg')}, ${
        color(background.startColor) ?? '#ffffff'
      }, ${color(background.endColor) ?? '#ffffff'})`
    : undefined;
  const border = length(c.borderWidth, BORDER_WIDTH);
  const css = style([
    ...place,
    ['display', 'flex'],
    ['flex-direction', layout === 'vertical' ? 'column' : 'row'],
    ['align-items', layout === 'baseline' ? 'baseline' : (ALIGN[str(c.alignItems) ?? ''] ?? undefined)],
    [
      'justify-content',
      str(c.justifyContent) &&
      /^(?:flex-start|center|flex-end|space-between|space-around|space-evenly)$/.test(str(c.justifyContent)!)
        ? str(c.justifyContent)
        : undefined,
    ],
    ['background-color', color(c.backgroundColor)],
    ['background-image', gradient],
    ['border', border ? `${border} solid ${color(c.borderColor) ?? '#000000'}` : undefined],
    ['border-radius', length(c.cornerRadius)],
    ['width', length(c.width, {})],
    ['max-width', length(c.maxWidth, {})],
    ['height', length(c.height, {})],
    ['max-height', length(c.maxHeight, {})],
    ['padding', length(c.paddingAll)],
    ['padding-top', length(c.paddingTop)],
    ['padding-bottom', length(c.paddingBottom)],
    ['padding-left', length(c.paddingStart)],
    ['padding-right', length(c.paddingEnd)],
    // A box holding absolute children is their reference, as on LINE.
    ['position', place.some(([k]) => k === 'position') ? undefined : 'relative'],
    ['overflow', 'hidden'],
  ]);
  const children = contents.map((child, i) => component(child, layout, spacing, i === 0)).join('');
  return `<div class="fx-box fx-${layout}"${css}>${children}</div>`;
}

function textStyle(c: Json): Array<[string, string | number | undefined]> {
  const size = length(c.size, TEXT_SIZE);
  return [
    ['font-size', size],
    ['font-weight', c.weight === 'bold' ? 700 : undefined],
    ['font-style', c.style === 'italic' ? 'italic' : undefined],
    [
      'text-decoration',
      c.decoration === 'underline' || c.decoration === 'line-through' ? str(c.decoration) : undefined,
    ],
    ['color', color(c.color)],
  ];
}

function text(c: Json, place: Array<[string, string | number | undefined]>, layout: Layout): string {
  const wrap = c.wrap === true;
  const maxLines = typeof c.maxLines === 'number' && c.maxLines > 0 ? Math.floor(c.maxLines) : undefined;
  const css = style([
    ...place,
    ...textStyle(c),
    ['text-align', c.align === 'center' ? 'center' : c.align === 'end' ? 'right' : undefined],
    ['line-height', length(c.lineSpacing, {}) ? `calc(1.4em + ${length(c.lineSpacing, {})})` : undefined],
    // Unwrapped text is one line cut with …; wrapped text keeps the message's own line breaks.
    ['white-space', wrap ? 'pre-wrap' : 'nowrap'],
    ['overflow-wrap', wrap ? 'anywhere' : undefined],
    ['text-overflow', wrap ? undefined : 'ellipsis'],
    ['display', maxLines && wrap ? '-webkit-box' : undefined],
    ['-webkit-line-clamp', maxLines && wrap ? maxLines : undefined],
    ['-webkit-box-orient', maxLines && wrap ? 'vertical' : undefined],
    ['align-self', layout === 'baseline' ? 'baseline' : undefined],
  ]);
  const spans = Array.isArray(c.contents) && c.contents.length > 0 ? c.contents.map(span).join('') : esc(c.text);
  return `<div class="fx-text"${css}>${spans}</div>`;
}

function span(c: unknown): string {
  if (!isObject(c)) return '';
  return `<span${style(textStyle(c))}>${esc(c.text)}</span>`;
}

/** An action as an inert element: its label, and what a tap would do as a tooltip. */
const actionTitle = (a: unknown): string => {
  if (!isObject(a)) return '';
  const what = a.type === 'uri' ? safeUrl(a.uri) : a.type === 'message' ? str(a.text) : str(a.data);
  return ` title="${esc(`${str(a.type) ?? '?'}: ${what ?? ''}`)}"`;
};

function button(c: Json, place: Array<[string, string | number | undefined]>): string {
  const kind = c.style === 'primary' || c.style === 'secondary' ? c.style : 'link';
  const action = isObject(c.action) ? c.action : {};
  const tint = color(c.color);
  const css = style([
    ...place,
    ['height', c.height === 'sm' ? '40px' : '52px'],
    ['background-color', kind === 'link' ? undefined : tint],
    ['color', kind === 'link' ? tint : undefined],
  ]);
  return `<div class="fx-button fx-${kind}" role="button"${actionTitle(action)}${css}><span>${esc(action.label)}</span></div>`;
}

const ratio = (v: unknown, fallback: string): string => {
  const m = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(str(v) ?? '');
  return m && Number(m[1]) > 0 && Number(m[2]) > 0 ? `${m[1]} / ${m[2]}` : fallback;
};

function image(c: Json, place: Array<[string, string | number | undefined]>): string {
  const size = c.size === 'full' ? '100%' : (length(c.size, IMAGE_SIZE) ?? `${IMAGE_SIZE.md}px`);
  const url = safeUrl(c.url);
  const outer = style([
    ...place,
    ['display', 'flex'],
    ['justify-content', ALIGN[str(c.align) ?? ''] ?? 'center'],
    ['align-items', GRAVITY[str(c.gravity) ?? ''] ?? 'flex-start'],
  ]);
  const inner = style([
    ['width', size],
    ['max-width', '100%'],
    ['aspect-ratio', ratio(c.aspectRatio, '1 / 1')],
    ['background-color', color(c.backgroundColor)],
  ]);
  const fit = c.aspectMode === 'cover' ? 'cover' : 'contain';
  const img = url ? `<img src="${esc(url)}" alt="" style="object-fit:${fit}">` : '';
  return `<div class="fx-image"${outer}><div class="fx-frame"${inner}>${img}</div></div>`;
}

function icon(c: Json, place: Array<[string, string | number | undefined]>, gap: string | undefined): string {
  const size = length(c.size, TEXT_SIZE) ?? `${TEXT_SIZE.md}px`;
  const url = safeUrl(c.url);
  const css = style([
    ['margin-left', gap],
    ['flex', '0 0 auto'],
    ['height', size],
    ['aspect-ratio', ratio(c.aspectRatio, '1 / 1')],
    ['position', place.find(([k]) => k === 'position')?.[1]],
  ]);
  return `<span class="fx-icon"${css}>${url ? `<img src="${esc(url)}" alt="">` : ''}</span>`;
}

function separator(c: Json, layout: Layout, gap: string | undefined): string {
  const line = `1px solid ${color(c.color) ?? '#d4d6da'}`;
  const css =
    layout === 'vertical'
      ? style([
          ['margin-top', gap],
          ['border-top', line],
          ['flex', '0 0 auto'],
        ])
      : style([
          ['margin-left', gap],
          ['border-left', line],
          ['flex', '0 0 auto'],
          ['align-self', 'stretch'],
        ]);
  return `<div class="fx-separator"${css}></div>`;
}

/** A video shows its preview image (LINE plays it on a tap). */
function video(c: Json, place: Array<[string, string | number | undefined]>): string {
  return image({ url: c.previewUrl, size: 'full', aspectRatio: c.aspectRatio, aspectMode: 'cover' }, place);
}

function block(name: 'header' | 'hero' | 'body' | 'footer', c: unknown, styles: Json): string {
  if (!isObject(c)) return '';
  const own = isObject(styles[name]) ? (styles[name] as Json) : {};
  const css = style([
    ['padding', name === 'hero' ? undefined : `${BLOCK_PADDING[name]}px`],
    ['background-color', color(own.backgroundColor)],
    ['border-top', own.separator === true ? `1px solid ${color(own.separatorColor) ?? '#d4d6da'}` : undefined],
  ]);
  // A block is a box (or, for the hero, an image or video) laid out as a vertical box's only child.
  return `<div class="fx-block fx-${name}"${css}>${component(c, 'vertical', undefined, true)}</div>`;
}

function bubble(c: Json): string {
  const styles = isObject(c.styles) ? c.styles : {};
  const width = BUBBLE_WIDTH[str(c.size) ?? ''] ?? BUBBLE_WIDTH.mega;
  return `<div class="fx-bubble"${style([['width', `${width}px`]])}>${(['header', 'hero', 'body', 'footer'] as const)
    .map((name) => block(name, c[name], styles))
    .join('')}</div>`;
}

/** A Flex container: one bubble, or a carousel of them side by side. */
export function renderFlex(contents: unknown): string {
  if (!isObject(contents)) return '';
  if (contents.type === 'carousel') {
    const bubbles = Array.isArray(contents.contents) ? contents.contents.filter(isObject) : [];
    return `<div class="fx-carousel">${bubbles.map(bubble).join('')}</div>`;
  }
  return contents.type === 'bubble' ? bubble(contents) : '';
}

// ---------------------------------------------------------------------------------------------
// Messages and the chat page

/** One message the bot sent, as its bubble. */
export function renderMessage(message: unknown): string {
  const m = isObject(message) ? message : {};
  switch (m.type) {
    case 'text':
      return `<div class="bubble text">${esc(m.text)}</div>`;
    case 'textV2':
      return `<div class="bubble text">${esc(renderTextV2({ text: str(m.text) ?? '', substitution: isObject(m.substitution) ? m.substitution : undefined }))}</div>`;
    case 'flex':
      return renderFlex(m.contents);
    case 'image': {
      const url = safeUrl(m.previewImageUrl) ?? safeUrl(m.originalContentUrl);
      return `<div class="bubble photo">${url ? `<img src="${esc(url)}" alt="">` : ''}</div>`;
    }
    case 'sticker':
      return `<div class="bubble sticker">[sticker ${esc(m.packageId)}/${esc(m.stickerId)}]</div>`;
    default:
      // What a client without support shows: the alt text, or the type.
      return `<div class="bubble text">${esc(m.altText ?? `[${String(m.type ?? '?')}]`)}</div>`;
  }
}

/** Quick reply chips: LINE shows the last message's, above the input bar. */
export function renderQuickReply(message: unknown): string {
  const items = isObject(message) && isObject(message.quickReply) ? message.quickReply.items : undefined;
  if (!Array.isArray(items) || items.length === 0) return '';
  const chips = items.filter(isObject).map((item) => {
    const action = isObject(item.action) ? item.action : {};
    const img = safeUrl(item.imageUrl);
    return `<div class="chip" role="button"${actionTitle(action)}>${img ? `<img src="${esc(img)}" alt="">` : ''}${esc(action.label)}</div>`;
  });
  return `<div class="quick-reply">${chips.join('')}</div>`;
}

const CSS = `
*{box-sizing:border-box}
html,body{margin:0;height:100%}
body{font-family:"Noto Sans CJK TC","Noto Sans TC","Noto Sans",sans-serif,"Noto Color Emoji";font-size:15px;color:#111;background:#8cabd9;display:flex;flex-direction:column}
header{flex:0 0 auto;display:flex;align-items:center;gap:12px;height:52px;padding:0 14px;background:#fff;border-bottom:1px solid #d9dde3;font-weight:700;font-size:17px}
header .back{font-size:22px;font-weight:400;color:#111}
main{flex:1 1 auto;overflow:hidden;padding:12px 10px 8px;display:flex;flex-direction:column;justify-content:flex-end;gap:10px}
.row{display:flex;align-items:flex-start;gap:8px}
.row.me{justify-content:flex-end}
.avatar{flex:0 0 36px;height:36px;border-radius:50%;background:#06c755;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:700;font-size:14px}
.col{display:flex;flex-direction:column;gap:6px;min-width:0;max-width:calc(100% - 44px)}
.name{font-size:12px;color:#263a57}
.msg{display:flex;align-items:flex-end;gap:6px}
.row.me .msg{flex-direction:row-reverse}
.time{flex:0 0 auto;font-size:10px;color:#3b4d6b;white-space:nowrap}
.bubble{border-radius:18px;padding:8px 12px;background:#fff;max-width:260px;line-height:1.45;white-space:pre-wrap;overflow-wrap:anywhere}
.row.me .bubble{background:#a5e67a}
.bubble.photo{padding:0;overflow:hidden;max-width:200px;background:transparent}
.bubble.photo img{display:block;max-width:200px;max-height:260px}
.notice{align-self:center;font-size:12px;color:#fff;background:rgba(33,48,72,.35);border-radius:12px;padding:4px 12px}
.quick-reply{flex:0 0 auto;display:flex;gap:8px;overflow:hidden;padding:8px 10px;background:rgba(255,255,255,.25)}
.chip{flex:0 0 auto;display:flex;align-items:center;gap:6px;height:36px;padding:0 16px;border-radius:18px;background:#fff;border:1px solid #d5d9df;font-size:14px;color:#111;white-space:nowrap}
.chip img{width:20px;height:20px;border-radius:50%}
footer{flex:0 0 auto;display:flex;align-items:center;gap:10px;height:52px;padding:0 12px;background:#fff;color:#9aa0a8;font-size:22px}
footer .input{flex:1;height:36px;border-radius:18px;background:#f1f3f5;display:flex;align-items:center;padding:0 14px;font-size:15px}
.fx-carousel{flex:1 1 auto;display:flex;gap:8px;overflow:hidden;min-width:0}
.fx-carousel .fx-bubble{flex:0 0 auto}
.fx-bubble{flex:0 1 auto;min-width:0;background:#fff;border-radius:17px;overflow:hidden;display:flex;flex-direction:column}
.fx-block{display:flex;flex-direction:column}
.fx-box{min-width:0}
.fx-text{font-size:16px;line-height:1.4;overflow:hidden;min-width:0}
.fx-button{display:flex;align-items:center;justify-content:center;border-radius:8px;font-size:16px;padding:0 8px;overflow:hidden}
.fx-button span{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.fx-primary{background:#17c950;color:#fff}
.fx-secondary{background:#dcdfe5;color:#111}
.fx-link{color:#42659a}
.fx-frame{position:relative;overflow:hidden}
.fx-frame img{display:block;width:100%;height:100%}
.fx-icon{display:inline-block;align-self:baseline}
.fx-icon img{display:block;width:100%;height:100%}
`;

/** The whole page: header, the chat, the last bot message's quick replies, the input bar. */
export function renderChatPage(page: ChatPage): string {
  const time = esc(page.time ?? '');
  const rows = page.lines.map((line) => {
    if (line.from === 'notice') return `<div class="notice">${esc(line.text)}</div>`;
    if (line.from === 'me')
      return `<div class="row me"><div class="col"><div class="msg"><div class="bubble text">${esc(line.text)}</div><span class="time">${time}</span></div></div></div>`;
    const name = page.botName ? `<div class="name">${esc(page.botName)}</div>` : '';
    return `<div class="row bot"><div class="avatar">${esc((page.botName ?? 'Bot').slice(0, 1))}</div><div class="col">${name}<div class="msg">${renderMessage(line.message)}<span class="time">${time}</span></div></div></div>`;
  });
  const last = [...page.lines].reverse().find((l) => l.from !== 'notice');
  const quick = last?.from === 'bot' ? renderQuickReply(last.message) : '';
  return `<!doctype html>
<html lang="zh-Hant"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src http: https: data:; style-src 'unsafe-inline'">
<title>${esc(page.title)}</title><style>${CSS}</style></head>
<body><header><span class="back">‹</span><span>${esc(page.title)}</span></header>
<main>${rows.join('\n')}</main>
${quick}<footer><span>＋</span><div class="input">Aa</div><span>☺\uFE0E</span></footer></body></html>
`;
}
