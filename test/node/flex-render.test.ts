/**
 * The chat renderer of the README's pictures (scripts/line-emulator/render.ts): every component the
 * bot's own builders produce is drawn (the messages come from the builders, not copies), Flex's
 * layout rules come out as LINE states them (flex weights by layout, spacing and margins, button
 * styles and heights, image sizes and aspect ratios), the last message's quick replies are chips,
 * and any text, URL or colour from a message stays inert: markup is shown as text, no script or
 * event handler, no `javascript:` URL, no CSS from a colour.
 */
import type { messagingApi } from '@line/bot-sdk';
import { describe, expect, it } from 'vitest';
import { renderChatPage, renderFlex, renderMessage, renderQuickReply } from '../../scripts/line-emulator/render.ts';
import { offerMessage } from '../../src/ai/offers.ts';
import { lateAnswerMessage } from '../../src/ai/late.ts';
import { helpReply } from '../../src/bot/help.ts';
import { fileListMessage } from '../../src/line/file-flex.ts';
import { textMessages, withQuickReply } from '../../src/line/messages.ts';
import { say } from '../../src/messages/catalog.ts';

const EVIL = '<img src=x onerror=alert(1)>"\'><script>alert(2)</script>';
const ANSWER_ID = '0192f0a4-6a8e-7c1b-9d2e-3f4a5b6c7d8e';
const OFFER_ID = '0192f0a4-6a8e-7c1b-9d2e-000000000001';

/** `/find`'s list as src/bot/nas.ts builds it (its builder is private): the shared Flex builder with a 📁 line and a quick reply. */
const findList = (name: string) =>
  fileListMessage({
    altText: `找到 1 個符合「${name}」的檔案`,
    heading: `找到 1 個符合「${name}」的檔案：`,
    entries: [
      {
        name: `1. ${name}`,
        details: ['📁 projects/Tower B 大樓/圖面', '596 B・2026-11-30 09:00'],
        button: { label: '傳送', data: 'find:list:1', displayText: `傳送「${name}」` },
      },
    ],
    footer: '點「傳送」取得檔案。',
    quickReply: {
      items: [
        {
          type: 'action',
          action: {
            type: 'postback',
            label: say('zh-TW', 'find.searchAgain'),
            data: 'find:again',
            fillInText: '/find ',
          },
        },
      ],
    },
  });

/** Every message the bot's builders make, in the reader's language. */
const builtMessages = (): messagingApi.Message[] => {
  const help = helpReply('zh-TW', 'user', { role: 'member' });
  return [
    ...textMessages(say('zh-TW', 'welcome.join')),
    ...withQuickReply(textMessages(help.text), help.quickReply),
    findList('平面圖-1F.pdf'),
    offerMessage([{ id: OFFER_ID, name: '平面圖-1F.pdf', size: 596 }], 'zh-TW'),
    lateAnswerMessage(ANSWER_ID, 'zh-TW', 'lateAnswer.working'),
  ];
};

/** The Flex component types in a message (what the renderer must draw). */
function componentTypes(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) componentTypes(n, found);
  else if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (['box', 'text', 'button', 'image', 'icon', 'separator', 'filler', 'span', 'video'].includes(String(o.type)))
      found.add(String(o.type));
    for (const [k, v] of Object.entries(o)) if (k !== 'action' && k !== 'quickReply') componentTypes(v, found);
  }
  return found;
}

/** Every tag of the page: only the renderer's own elements and attributes, none that runs anything. */
function tagsOf(html: string): Array<{ name: string; attributes: string[] }> {
  return [...html.matchAll(/<\/?([a-zA-Z!][^\s>/]*)([^>]*)>/g)].map((m) => ({
    name: m[1]!.toLowerCase(),
    attributes: [...m[2]!.matchAll(/([^\s=]+)=("[^"]*"|'[^']*'|[^\s>]+)/g)].map((a) => a[1]!.toLowerCase()),
  }));
}
const TAGS = new Set([
  '!doctype',
  'html',
  'head',
  'meta',
  'title',
  'style',
  'body',
  'header',
  'main',
  'footer',
  'div',
  'span',
  'img',
]);
const ATTRIBUTES = new Set([
  'lang',
  'charset',
  'name',
  'content',
  'http-equiv',
  'class',
  'style',
  'title',
  'role',
  'src',
  'alt',
]);

/** A bubble with every component type and layout the spec has, as a carousel's second bubble. */
const everything: messagingApi.FlexCarousel = {
  type: 'carousel',
  contents: [
    {
      type: 'bubble',
      size: 'kilo',
      body: { type: 'box', layout: 'vertical', contents: [{ type: 'text', text: 'first' }] },
    },
    {
      type: 'bubble',
      hero: {
        type: 'image',
        url: 'https://example.com/hero.jpg',
        size: 'full',
        aspectRatio: '20:13',
        aspectMode: 'cover',
      },
      body: {
        type: 'box',
        layout: 'vertical',
        spacing: 'lg',
        contents: [
          {
            type: 'box',
            layout: 'horizontal',
            contents: [
              {
                type: 'image',
                url: 'https://example.com/preview.png',
                size: 'xs',
                aspectRatio: '4:3',
                aspectMode: 'fit',
                flex: 0,
              },
              { type: 'text', text: 'wide', flex: 3 },
              { type: 'text', text: 'narrow' },
            ],
          },
          {
            type: 'box',
            layout: 'baseline',
            margin: 'xxl',
            contents: [
              { type: 'icon', url: 'https://example.com/star.png', size: 'sm', aspectRatio: '2:1' },
              {
                type: 'text',
                text: 'rated',
                contents: [{ type: 'span', text: 'bold', weight: 'bold', color: '#ff0000' }],
              },
            ],
          },
          { type: 'separator', color: '#cccccc' },
          { type: 'filler' },
          { type: 'button', style: 'secondary', action: { type: 'uri', label: 'Open', uri: 'https://example.com/' } },
          { type: 'button', style: 'link', height: 'sm', action: { type: 'message', label: 'Say', text: 'hi' } },
        ],
      },
    },
  ],
};

describe('the chat renderer', () => {
  it('draws every component type the bot’s builders produce, the builders’ messages as the chat shows them', () => {
    const messages = builtMessages();
    const types = componentTypes(messages);
    expect([...types].sort()).toEqual(['box', 'button', 'text']);
    const html = messages.map(renderMessage).join('');
    for (const t of types) expect(html).toContain(`fx-${t}`);
    // Texts: the welcome and the help in text bubbles; the Flex messages' heading, names and buttons.
    expect(html).toContain(say('zh-TW', 'welcome.join').split('\n')[0]);
    expect(html).toContain('平面圖-1F.pdf');
    expect(html).toContain('📁 projects/Tower B 大樓/圖面');
    expect(html).toContain(`>${say('zh-TW', 'lateAnswer.button')}</span>`);
    // Nothing drawn as "unknown", no Flex message fell back to its altText.
    expect(html).not.toContain('fx-unknown');
    expect(html.match(/class="fx-bubble"/g)).toHaveLength(3);
    // The late notice's button sits in the footer block (10px padding), its text in the body (20px).
    const late = renderMessage(lateAnswerMessage(ANSWER_ID, 'zh-TW', 'lateAnswer.working'));
    expect(late).toMatch(/fx-block fx-body" style="padding:20px"/);
    expect(late).toMatch(/fx-block fx-footer" style="padding:10px"/);
    expect(late).toMatch(/fx-button fx-primary" role="button" title="postback: answer:[^"]+" style="[^"]*height:40px/);
  });

  it('lays Flex out by LINE’s rules: flex by layout, spacing and margins, sizes, images, buttons, a carousel', () => {
    const html = renderFlex(everything);
    expect(html.match(/class="fx-bubble"/g)).toHaveLength(2);
    expect(html).toContain('class="fx-carousel"');
    expect(html).toContain('width:260px'); // kilo
    expect(html).toContain('width:300px'); // mega, the default
    // The hero: full width, 20:13, cropped to fill.
    expect(html).toMatch(
      /fx-hero"><div class="fx-image"[^>]*><div class="fx-frame" style="width:100%;max-width:100%;aspect-ratio:20 \/ 13"><img src="https:\/\/example.com\/hero.jpg" alt="" style="object-fit:cover">/,
    );
    // In a horizontal box: the image keeps its own width (flex 0), texts share by weight (3 and the default 1).
    expect(html).toMatch(
      /fx-image" style="flex:0 0 auto;[^"]*"><div class="fx-frame" style="width:60px;max-width:100%;aspect-ratio:4 \/ 3"><img[^>]*object-fit:contain/,
    );
    expect(html).toMatch(/style="flex:3 0 0;min-width:0[^"]*">wide</);
    expect(html).toMatch(/style="flex:1 0 0;min-width:0[^"]*">narrow</);
    // In the vertical body: lg spacing (12px) between children, a child's own margin (xxl, 20px) instead.
    expect(html).toMatch(/class="fx-box fx-baseline" style="margin-top:20px;flex:0 0 auto/);
    expect(html).toMatch(/class="fx-separator" style="margin-top:12px;border-top:1px solid #cccccc/);
    expect(html).toMatch(/class="fx-filler" style="flex:1 0 0;min-height:0"/);
    // Baseline: the icon at the text's size (sm 14px) and its ratio; a span's own style.
    expect(html).toMatch(/class="fx-icon" style="flex:0 0 auto;height:14px;aspect-ratio:2 \/ 1"/);
    expect(html).toContain('<span style="font-weight:700;color:#ff0000">bold</span>');
    // Buttons: style and height (md 52px by default, sm 40px).
    expect(html).toMatch(
      /fx-button fx-secondary" role="button" title="uri: https:\/\/example.com\/" style="[^"]*height:52px/,
    );
    expect(html).toMatch(/fx-button fx-link" role="button" title="message: hi" style="[^"]*height:40px/);
  });

  it('shows the last message’s quick replies as chips, and an image message as its picture', () => {
    const help = helpReply('zh-TW', 'user', { role: 'member' });
    const chips = renderQuickReply(withQuickReply(textMessages(help.text), help.quickReply)[0]);
    const items = help.quickReply?.items ?? [];
    expect(items.length).toBeGreaterThan(1);
    for (const item of items) expect(chips).toContain(`>${item.action?.label}</div>`);
    const page = renderChatPage({
      title: 'ops',
      lines: [
        { from: 'bot', message: findList('a.pdf') },
        { from: 'me', text: '/說明' },
        { from: 'bot', message: withQuickReply(textMessages(help.text), help.quickReply)[0] },
      ],
    });
    // Only the last message's: the find list's 重新搜尋 is gone once the help answered.
    expect(page).toContain('class="quick-reply"');
    expect(page).not.toContain(say('zh-TW', 'find.searchAgain'));
    expect(page).toContain('class="row me"');
    const image = renderMessage({
      type: 'image',
      originalContentUrl: 'https://example.com/a.jpg',
      previewImageUrl: 'https://example.com/a-preview.jpg',
    });
    expect(image).toBe('<div class="bubble photo"><img src="https://example.com/a-preview.jpg" alt=""></div>');
  });

  it('keeps text from messages inert: markup as text, no script URL, no CSS from a colour', () => {
    const messages: unknown[] = [
      ...textMessages(EVIL),
      { type: 'textV2', text: `{who} ${EVIL}`, substitution: { who: { type: 'mention', mentionee: { type: 'all' } } } },
      findList(EVIL),
      offerMessage([{ id: OFFER_ID, name: EVIL, size: 1 }], 'en'),
      {
        type: 'flex',
        altText: EVIL,
        contents: {
          type: 'bubble',
          styles: { body: { backgroundColor: 'red;background:url(https://evil.example/)' } },
          body: {
            type: 'box',
            layout: 'vertical',
            paddingAll: '1px;position:fixed',
            contents: [
              { type: 'image', url: 'javascript:alert(3)' },
              { type: 'text', text: EVIL, color: '#fff;background:url(x)', size: 'xl;display:none' },
              { type: 'button', action: { type: 'uri', label: EVIL, uri: 'javascript:alert(4)' } },
            ],
          },
        },
      },
      {
        type: 'image',
        originalContentUrl: 'javascript:alert(5)',
        previewImageUrl: `https://x.example/"onload="alert(6)`,
      },
      { type: 'template', altText: EVIL, template: {} },
    ];
    const page = renderChatPage({
      title: EVIL,
      botName: EVIL,
      time: EVIL,
      lines: [
        { from: 'notice', text: EVIL },
        { from: 'me', text: EVIL },
        ...messages.map((message) => ({ from: 'bot' as const, message })),
        {
          from: 'bot',
          message: {
            type: 'text',
            text: 'x',
            quickReply: {
              items: [
                { type: 'action', imageUrl: 'javascript:1', action: { type: 'message', label: EVIL, text: EVIL } },
              ],
            },
          },
        },
      ],
    });
    for (const tag of tagsOf(page)) {
      expect(TAGS, tag.name).toContain(tag.name);
      for (const a of tag.attributes) expect(ATTRIBUTES, `${tag.name} ${a}`).toContain(a);
    }
    expect(page).not.toMatch(/<script|javascript:|evil\.example|position:fixed|display:none/i);
    // Shown as the text it is, as often as it was sent.
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(page).toContain('@All &lt;img');
    // And no script may run even so: the page's own policy allows none.
    expect(page).toContain(`content="default-src 'none'; img-src http: https: data:; style-src 'unsafe-inline'"`);
  });
});
