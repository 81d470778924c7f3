/** Ports for the local stack: a clear message for a taken port instead of a stack trace. */
import net from 'node:net';

/** An error meant for a person: the CLI prints its message alone, without a stack. */
export class UserError extends Error {
  override name = 'UserError';
}

class PortInUseError extends UserError {
  constructor(
    readonly port: number,
    what: string,
    flag: string,
  ) {
    super(
      `port ${port} (${what}) is already in use: stop whatever holds it (another \`npm run dev\`?) or pass ${flag} <port> (0 picks a free one)`,
    );
  }
}

/** Resolves when `port` can be listened on; PortInUseError when it is taken. 0 is always fine. */
export async function ensurePortFree(port: number, host: string, what: string, flag: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' || e.code === 'EACCES' ? new PortInUseError(port, what, flag) : e),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** A port free right now (for tools that insist on a number, like wrangler dev's --port). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Turns EADDRINUSE from a server we start into the same clear message. */
export function explainListenError(e: unknown, port: number, what: string, flag: string): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES' ? new PortInUseError(port, what, flag) : e;
}
