/**
 * Baseline: the smallest Node webhook server LINE's own SDK gives you. `@line/bot-sdk`'s
 * middleware checks the signature and parses the body; the handler answers 200. No storage, no
 * durability: the floor our Worker's acknowledgement rate is compared with.
 *
 * Run as a child process: prints {"port": N} when listening; SIGTERM stops it.
 */
import { middleware, type MiddlewareConfig } from '@line/bot-sdk';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export function startSdkServer(config: MiddlewareConfig, port = 0, host = '127.0.0.1') {
  const verify = middleware(config);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    verify(req as Parameters<typeof verify>[0], res, (err?: Error) => {
      if (err) {
        res.writeHead(err.name === 'SignatureValidationFailed' ? 401 : 400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: err.message }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  return new Promise<{ port: number; close: () => void }>((resolve) => {
    server.listen(port, host, () =>
      resolve({ port: (server.address() as AddressInfo).port, close: () => server.close() }),
    );
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { secret } = JSON.parse(process.argv[2] ?? '{}') as { secret: string };
  const { port } = await startSdkServer({ channelSecret: secret });
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
}
