/**
 * `npm run rich-menu`: create the bot's rich menu for 1:1 chats (搜尋檔案, 新對話, 說明, 綁定) and
 * set it as every user's default, through LINE's API (./rich-menu/menu.ts). Run `npm run rich-menu
 * -- --help`.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readDevVars } from './local/dev-vars.ts';
import { readStackState } from './local/state.ts';
import { installRichMenu, renderRichMenuImage } from './rich-menu/menu.ts';

const HELP = `npm run rich-menu -- [options]

Creates the rich menu (its image rendered here), uploads the image, sets it as the default for
every user, and deletes the menus of the same name it replaces.

options
  --image-only <file.png>   only render the image to a file (no LINE call)
  --api <url>               LINE's API (default: LINE_API_BASE_URL, else the running \`npm run dev\`'s
                            LINE emulator, else https://api.line.me)
  --data-api <url>          LINE's data API for the upload (default: LINE_DATA_API_BASE_URL, else as
                            --api when that is the emulator, which serves both; else https://api-data.line.me)
  --token <token>           the channel access token (default: LINE_CHANNEL_ACCESS_TOKEN from the
                            environment, else from .dev.vars)`;

async function main() {
  const { values } = parseArgs({
    options: {
      'image-only': { type: 'string' },
      api: { type: 'string' },
      'data-api': { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return console.log(HELP);
  if (values['image-only']) {
    writeFileSync(values['image-only'], await renderRichMenuImage());
    return console.log(`wrote ${values['image-only']}`);
  }
  const devVars = readDevVars();
  const setting = (name: string) => process.env[name] || devVars[name];
  const channelAccessToken = values.token ?? setting('LINE_CHANNEL_ACCESS_TOKEN');
  if (!channelAccessToken) throw new Error('no channel access token: give --token or set LINE_CHANNEL_ACCESS_TOKEN');
  // Without a URL given, a running `npm run dev` means its emulator: never LINE by surprise.
  const emulator = values.api || setting('LINE_API_BASE_URL') ? undefined : readStackState()?.emulatorUrl;
  const apiBase = values.api ?? setting('LINE_API_BASE_URL') ?? emulator ?? 'https://api.line.me';
  const installed = await installRichMenu({
    apiBase,
    dataApiBase:
      values['data-api'] ??
      setting('LINE_DATA_API_BASE_URL') ??
      (emulator || values.api ? apiBase : 'https://api-data.line.me'),
    channelAccessToken,
  });
  console.log(`LINE API: ${apiBase}`);
  console.log(
    `rich menu ${installed.richMenuId} is the default (image ${installed.imageBytes} bytes)` +
      (installed.replaced.length ? `; deleted ${installed.replaced.join(', ')}` : ''),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
