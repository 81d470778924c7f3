/**
 * The rich menu: `npm run rich-menu` against the LINE emulator (create, upload the image to the
 * data API, set the default, replace the earlier menu on a rerun), the rendered image as LINE takes
 * it, and the emulator's rich menu endpoints refusing what LINE refuses.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLineEmulator, type LineEmulator } from '../../scripts/line-emulator/index.ts';
import {
  installRichMenu,
  RICH_MENU_NAME,
  RICH_MENU_SIZE,
  renderRichMenuImage,
  richMenuObject,
} from '../../scripts/rich-menu/menu.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'rich-menu-test-token';

let line: LineEmulator;
beforeAll(async () => {
  line = await startLineEmulator();
});
afterAll(() => line.close());
beforeEach(() => line.reset());

const api = () => ({ apiBase: line.url, dataApiBase: line.url, channelAccessToken: TOKEN });
/** The emulator's JSON answers, read by the tests. */
const json = async (res: Response): Promise<any> => res.json();
const call = (method: string, path: string, body?: Buffer | object, type = 'application/json') =>
  fetch(`${line.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': type } : {}) },
    body: body === undefined ? undefined : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
  });

describe('the image', () => {
  it('is a PNG of the menu’s size, under LINE’s 1 MB, with the four labels drawn (not blank tiles)', async () => {
    const png = await renderRichMenuImage();
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', RICH_MENU_SIZE.width, RICH_MENU_SIZE.height]);
    expect(png.length).toBeLessThan(1024 * 1024);
    // Each tile has its background colour and, where the label is, white strokes.
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const tile = RICH_MENU_SIZE.width / 4;
    for (let i = 0; i < 4; i++) {
      let white = 0;
      for (let y = 300; y < 440; y++)
        for (let x = Math.round(i * tile + 60); x < Math.round((i + 1) * tile - 60); x++) {
          const o = (y * info.width + x) * info.channels;
          if (data[o]! > 235 && data[o + 1]! > 235 && data[o + 2]! > 235) white++;
        }
      expect(white, `tile ${i}`).toBeGreaterThan(2000);
    }
  });

  it('its areas tile the image and type the commands the bot knows', () => {
    const menu = richMenuObject();
    expect(menu.areas.map((a) => [a.action.label, a.action.text])).toEqual([
      ['搜尋檔案', '/找'],
      ['新對話', '新對話'],
      ['說明', '/說明'],
      ['綁定', '/綁定'],
    ]);
    expect(menu.areas.reduce((sum, a) => sum + a.bounds.width, 0)).toBe(RICH_MENU_SIZE.width);
  });
});

describe('npm run rich-menu against the emulator', () => {
  it('creates the menu, uploads its image, makes it the default; a rerun replaces it', async () => {
    const run = () =>
      promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'scripts/rich-menu.ts', '--api', line.url, '--token', TOKEN],
        { cwd: PROJECT_ROOT, env: { ...process.env, LINE_API_BASE_URL: '', LINE_DATA_API_BASE_URL: '' } },
      );
    const first = await run();
    const id = /rich menu (richmenu-[0-9a-f]{32}) is the default/.exec(first.stdout)?.[1];
    expect(id, first.stdout + first.stderr).toBeDefined();
    expect(line.state.defaultRichMenuId).toBe(id);
    const stored = line.state.richMenus.get(id!)!;
    expect(stored.menu).toEqual(richMenuObject());
    expect(stored.image?.contentType).toBe('image/png');
    expect((await sharp(stored.image!.bytes).metadata()).width).toBe(2500);

    const second = await run();
    const next = /rich menu (richmenu-[0-9a-f]{32}) is the default/.exec(second.stdout)![1];
    expect(second.stdout).toContain(`deleted ${id}`);
    expect([...line.state.richMenus.keys()]).toEqual([next]);
    expect(line.state.defaultRichMenuId).toBe(next);

    // The requests it made, in order, every one valid by LINE's spec.
    expect(line.violations()).toEqual([]);
    expect(
      line.requests().map((r) => `${r.method} ${r.path.replace(/richmenu-[0-9a-f]+/, '{id}')} ${r.status}`),
    ).toEqual([
      'GET /v2/bot/richmenu/list 200',
      'POST /v2/bot/richmenu 200',
      'POST /v2/bot/richmenu/{id}/content 200',
      'POST /v2/bot/user/all/richmenu/{id} 200',
      'GET /v2/bot/richmenu/list 200',
      'POST /v2/bot/richmenu 200',
      'POST /v2/bot/richmenu/{id}/content 200',
      'POST /v2/bot/user/all/richmenu/{id} 200',
      'DELETE /v2/bot/richmenu/{id} 200',
    ]);
  }, 60_000);

  it('leaves another menu alone, and no half-made menu when LINE refuses the image', async () => {
    const other = await json(await call('POST', '/v2/bot/richmenu', { ...richMenuObject(), name: 'someone else' }));
    await expect(installRichMenu(api(), Buffer.from('not a png'))).rejects.toThrow(/content: 400/);
    expect([...line.state.richMenus.keys()]).toEqual([other.richMenuId]);
    const done = await installRichMenu(api());
    expect(done.replaced).toEqual([]);
    expect(line.state.richMenus.size).toBe(2);
    expect(
      (await json(await call('GET', '/v2/bot/richmenu/list'))).richmenus.map((m: { name: string }) => m.name).sort(),
    ).toEqual([RICH_MENU_NAME, 'someone else'].sort());
  });
});

describe('the emulator’s rich menu API', () => {
  it('refuses what LINE refuses: a bad object, a second upload, a wrong size or type, no default without an image, unknown ids', async () => {
    const bad = await call('POST', '/v2/bot/richmenu', { ...richMenuObject(), size: { width: 2500 }, chatBarText: 7 });
    expect(bad.status).toBe(400);
    expect(line.violations()).toHaveLength(1);

    const { richMenuId } = await json(await call('POST', '/v2/bot/richmenu', richMenuObject()));
    const content = `/v2/bot/richmenu/${richMenuId}/content`;
    expect((await call('POST', `/v2/bot/user/all/richmenu/${richMenuId}`)).status).toBe(400);
    expect((await call('GET', '/v2/bot/user/all/richmenu')).status).toBe(404);
    const small = await sharp({ create: { width: 800, height: 270, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    expect((await call('POST', content, small, 'image/png')).status).toBe(400);
    expect((await call('POST', content, small, 'image/gif')).status).toBe(415);
    expect((await call('POST', content, Buffer.alloc(1024 * 1024 + 1, 0xff), 'image/jpeg')).status).toBe(400);
    const png = await renderRichMenuImage();
    expect((await call('POST', content, png, 'image/png')).status).toBe(200);
    expect((await call('POST', content, png, 'image/png')).status).toBe(400);
    const image = await call('GET', content);
    expect([image.status, image.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(Buffer.from(await image.arrayBuffer()).equals(png)).toBe(true);

    expect((await call('POST', `/v2/bot/user/all/richmenu/${richMenuId}`)).status).toBe(200);
    expect(await (await call('GET', '/v2/bot/user/all/richmenu')).json()).toEqual({ richMenuId });
    expect(await (await call('GET', `/v2/bot/richmenu/${richMenuId}`)).json()).toEqual({
      richMenuId,
      ...richMenuObject(),
    });
    expect((await call('DELETE', `/v2/bot/richmenu/${richMenuId}`)).status).toBe(200);
    expect(line.state.defaultRichMenuId).toBeNull();
    for (const [method, path] of [
      ['GET', `/v2/bot/richmenu/${richMenuId}`],
      ['DELETE', `/v2/bot/richmenu/${richMenuId}`],
      ['POST', `/v2/bot/user/all/richmenu/${richMenuId}`],
      ['GET', content],
    ] as const)
      expect((await call(method, path)).status, `${method} ${path}`).toBe(404);
    expect((await call('POST', content, png, 'image/png')).status).toBe(404);
    expect(await (await call('GET', '/v2/bot/richmenu/list')).json()).toEqual({ richmenus: [] });
  });
});
