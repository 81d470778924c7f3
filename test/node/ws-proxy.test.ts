/** The WebSocket-to-TCP proxy refuses targets other than local Postgres. */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWsProxy, type WsProxy } from '../../scripts/lib/ws-proxy.ts';

const { WebSocket } = createRequire(import.meta.url)('ws') as typeof import('ws');

let proxy: WsProxy;
beforeAll(async () => {
  proxy = await startWsProxy();
});
afterAll(() => proxy.close());

const closeCode = (address: string) =>
  new Promise<number>((resolve) => {
    const ws = new WebSocket(`ws://${proxy.address}?address=${address}`);
    ws.on('close', (code) => resolve(code));
    ws.on('error', () => {});
  });

describe('ws proxy', () => {
  it('refuses a non-local target (never an open relay)', async () => {
    expect(await closeCode('example.com:5432')).toBe(1008);
    expect(await closeCode('garbage')).toBe(1008);
  });

  it('pipes bytes to a local Postgres', async () => {
    const ws = new WebSocket(`ws://${proxy.address}?address=127.0.0.1:5432`);
    await new Promise((resolve, reject) => {
      ws.on('open', resolve);
      ws.on('error', reject);
    });
    // SSLRequest: Postgres answers a single byte, 'N' (no TLS on this socket) or 'S'.
    const answer = new Promise<Buffer>((resolve) => ws.once('message', (d: Buffer) => resolve(d)));
    ws.send(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]));
    expect(['N', 'S']).toContain((await answer).toString());
    ws.close();
    expect(proxy.connections()).toBeGreaterThanOrEqual(1);
  });
});
