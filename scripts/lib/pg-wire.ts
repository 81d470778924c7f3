/**
 * Framing of the Postgres frontend (client -> server) protocol: cuts a byte stream into whole
 * messages. Shared by the embedded Postgres server (which must run a client's messages as a unit)
 * and the WebSocket proxy (which counts round trips as they cross the wire).
 */

/** Startup-phase request codes (an untyped message: length, then this code). */
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

export interface FrontendMessage {
  /** The type byte as a character ('Q', 'P', 'S' ...), or '' for an untyped startup-phase message. */
  type: string;
  /** For untyped messages: the request code (protocol version, SSL, cancel). */
  code?: number;
  bytes: Buffer;
}

/**
 * Feed it chunks as they arrive; it returns the messages completed so far. A client starts with
 * untyped messages (SSLRequest, GSSENCRequest, then StartupMessage); everything after the
 * StartupMessage is typed. A length that cannot be right throws: the stream is not Postgres.
 */
export class FrontendFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;

  push(chunk: Buffer): FrontendMessage[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: FrontendMessage[] = [];
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) break;
        const length = this.buffer.readInt32BE(0);
        if (length < 8) throw new Error(`malformed startup message (length ${length})`);
        if (this.buffer.length < length) break;
        const code = this.buffer.readInt32BE(4);
        out.push({ type: '', code, bytes: this.take(length) });
        if (code === PROTOCOL_3) this.started = true;
        continue;
      }
      if (this.buffer.length < 5) break;
      const length = 1 + this.buffer.readInt32BE(1);
      if (length < 5)
        throw new Error(`malformed message '${String.fromCharCode(this.buffer[0]!)}' (length ${length - 1})`);
      if (this.buffer.length < length) break;
      out.push({ type: String.fromCharCode(this.buffer[0]!), bytes: this.take(length) });
    }
    return out;
  }

  private take(n: number): Buffer {
    const head = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return head;
  }
}

/**
 * Whether a client message ends a request the client then waits on, i.e. one round trip:
 * - 'query': Sync (closes an extended-query batch: Parse/Bind/Describe/Execute) or a simple Query;
 * - 'handshake': SSLRequest, GSSENCRequest, StartupMessage or a password/SASL message.
 */
export function roundTripKind(m: FrontendMessage): 'query' | 'handshake' | null {
  if (m.type === '') return m.code === CANCEL_REQUEST ? null : 'handshake';
  if (m.type === 'S' || m.type === 'Q') return 'query';
  if (m.type === 'p') return 'handshake';
  return null;
}

/** Round trips seen on one or many connections. */
export interface RoundTripCounts {
  connections: number;
  handshake: number;
  query: number;
}

export const zeroCounts = (): RoundTripCounts => ({ connections: 0, handshake: 0, query: 0 });
