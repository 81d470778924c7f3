/**
 * The bot's rich menu for 1:1 chats: four buttons (搜尋檔案, 新對話, 說明, 綁定) that type the
 * commands the bot already understands, so a tap is checked like anything typed. Its image is
 * rendered here (SVG through sharp, CJK labels from the system's Noto Sans CJK), and `installRichMenu`
 * creates it through LINE's API: create, upload the image (api-data), set it as the default, then
 * delete the menus it replaces (same name), so running it again leaves one menu.
 */
import sharp from 'sharp';

/** LINE's large compact size: the full width, a third of the large menu's height. */
export const RICH_MENU_SIZE = { width: 2500, height: 843 } as const;
/** Menus this script made carry this name: a rerun replaces them and leaves others alone. */
export const RICH_MENU_NAME = 'linebot-edge 1:1 menu';

/** The buttons, left to right: the label, its English line, and what a tap sends. */
const BUTTONS = [
  { label: '搜尋檔案', en: 'Search files', text: '/找', color: '#06c755' },
  { label: '新對話', en: 'New chat', text: '新對話', color: '#0b8457' },
  { label: '說明', en: 'Help', text: '/說明', color: '#1f6f8b' },
  { label: '綁定', en: 'Bind account', text: '/綁定', color: '#34495e' },
] as const;

/** The rich menu object LINE's `POST /v2/bot/richmenu` takes (its areas tile the image). */
export function richMenuObject() {
  const width = RICH_MENU_SIZE.width / BUTTONS.length;
  return {
    size: RICH_MENU_SIZE,
    selected: true,
    name: RICH_MENU_NAME,
    chatBarText: '選單 Menu',
    areas: BUTTONS.map((b, i) => ({
      bounds: { x: Math.round(i * width), y: 0, width: Math.round(width), height: RICH_MENU_SIZE.height },
      action: { type: 'message', label: b.label, text: b.text },
    })),
  };
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The menu's image as SVG: one coloured tile per button, its label and English line centred. */
function richMenuSvg(): string {
  const { width, height } = RICH_MENU_SIZE;
  const tile = width / BUTTONS.length;
  const font = "'Noto Sans CJK TC', 'Noto Sans TC', 'PingFang TC', 'Microsoft JhengHei', sans-serif";
  const tiles = BUTTONS.map((b, i) => {
    const x = i * tile;
    const cx = x + tile / 2;
    return [
      `<rect x="${x}" y="0" width="${tile}" height="${height}" fill="${b.color}"/>`,
      i > 0 ? `<rect x="${x - 2}" y="60" width="4" height="${height - 120}" fill="#ffffff" opacity="0.35"/>` : '',
      `<text x="${cx}" y="${height / 2}" font-family="${font}" font-size="124" font-weight="700" fill="#ffffff" text-anchor="middle">${escapeXml(b.label)}</text>`,
      `<text x="${cx}" y="${height / 2 + 140}" font-family="${font}" font-size="72" fill="#ffffff" opacity="0.85" text-anchor="middle">${escapeXml(b.en)}</text>`,
    ].join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${tiles.join('')}</svg>`;
}

/** The image as LINE takes it: a PNG of the menu's size, well under LINE's 1 MB. */
export const renderRichMenuImage = (): Promise<Buffer> =>
  sharp(Buffer.from(richMenuSvg())).png({ compressionLevel: 9, palette: true }).toBuffer();

export interface LineApi {
  /** https://api.line.me or the emulator. */
  apiBase: string;
  /** https://api-data.line.me (image uploads) or the emulator. */
  dataApiBase: string;
  channelAccessToken: string;
  fetch?: typeof fetch;
}

/** What LINE answered when it refused: the status and its message, for the person running this. */
class LineRefused extends Error {}

async function call(api: LineApi, base: string, method: string, path: string, body?: Buffer | object, type?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${api.channelAccessToken}` };
  let payload: Uint8Array | string | undefined;
  if (Buffer.isBuffer(body)) {
    headers['content-type'] = type!;
    payload = new Uint8Array(body);
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await (api.fetch ?? fetch)(`${base.replace(/\/+$/, '')}${path}`, { method, headers, body: payload });
  const text = await res.text();
  if (!res.ok) throw new LineRefused(`LINE refused ${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export interface Installed {
  richMenuId: string;
  /** The earlier menus of this name, deleted once the new one was the default. */
  replaced: string[];
  imageBytes: number;
}

/** Creates the menu with its image, makes it the default, and deletes the ones it replaces. */
export async function installRichMenu(api: LineApi, image?: Buffer): Promise<Installed> {
  const png = image ?? (await renderRichMenuImage());
  const { richmenus } = (await call(api, api.apiBase, 'GET', '/v2/bot/richmenu/list')) as {
    richmenus: Array<{ richMenuId: string; name: string }>;
  };
  const { richMenuId } = (await call(api, api.apiBase, 'POST', '/v2/bot/richmenu', richMenuObject())) as {
    richMenuId: string;
  };
  const path = encodeURIComponent(richMenuId);
  try {
    await call(api, api.dataApiBase, 'POST', `/v2/bot/richmenu/${path}/content`, png, 'image/png');
    await call(api, api.apiBase, 'POST', `/v2/bot/user/all/richmenu/${path}`);
  } catch (err) {
    // A menu without its image, or never the default, is of no use: leave nothing half made.
    await call(api, api.apiBase, 'DELETE', `/v2/bot/richmenu/${path}`).catch(() => {});
    throw err;
  }
  // Only after the new menu is the default: users are never left without one.
  const replaced = richmenus.filter((m) => m.name === RICH_MENU_NAME && m.richMenuId !== richMenuId);
  for (const old of replaced)
    await call(api, api.apiBase, 'DELETE', `/v2/bot/richmenu/${encodeURIComponent(old.richMenuId)}`);
  return { richMenuId, replaced: replaced.map((m) => m.richMenuId), imageBytes: png.length };
}
