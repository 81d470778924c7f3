/**
 * The job's side of the Worker's upload contract (@linebot-edge/shared/upload-contract, under
 * `/api/linebot/nas/send-requests/:id/...`):
 * PUT preview, PUT file, POST failure, each with the agent's bearer token; and PUT a synced LINE
 * image's thumbnail (`/api/linebot/nas/files/:id/thumbnail`, for the console), and an indexed
 * image's preview (`/api/linebot/nas/nas-files/:id/preview`, for /find). Network errors, 429 and
 * 5xx are tried again after a backoff (a few times: the claim's heartbeat keeps the lease while we
 * wait); any other answer is returned as it is for the caller to act on. The token only ever goes
 * into the Authorization header: nothing here logs or returns it.
 */
import {
  NAS_API_PATH,
  SHA256_HEADER,
  SOURCE_MODIFIED_AT_HEADER,
  type FailureReason,
} from '@linebot-edge/shared/upload-contract';
import { describe } from '../download.ts';

export type WorkerAnswer =
  /** 2xx. */
  | { kind: 'ok'; status: number }
  /** 4xx other than 429: `code` is the `error` of the Worker's JSON body when it has one. */
  | { kind: 'rejected'; status: number; code?: string }
  /** Network errors, 429 or 5xx on every try. */
  | { kind: 'unreachable'; error: string; tries: number };

export interface WorkerClientOptions {
  workerUrl: string;
  agentToken: string;
  /** Tries after the first on network errors / 429 / 5xx; default 4. */
  retries?: number;
  /** First backoff, doubling per try (with jitter); default 1 s. */
  retryBaseMs?: number;
  /** Called before each retry (for the job's log). */
  onRetry?: (info: { what: string; requestId: string; error: string; retryInMs: number; try: number }) => void;
}

export interface Body {
  /** A fresh body for each try (a stream is consumed by the first). */
  open(): ReadableStream<Uint8Array> | Uint8Array;
  length: number;
  contentType: string;
  sha256: string;
}

export interface WorkerClient {
  put(
    requestId: string,
    what: 'preview' | 'file',
    body: Body,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<WorkerAnswer>;
  failure(requestId: string, reason: FailureReason, signal: AbortSignal): Promise<WorkerAnswer>;
  /** `fileId`: the `line_files.id` of an image the sync has just written to the NAS. */
  thumbnail(fileId: string, body: Body, signal: AbortSignal, timeoutMs: number): Promise<WorkerAnswer>;
  /** `fileId`: a `nas_files.id`; `modifiedAt`: its `modified_at` the preview was made from (UTC, microseconds). */
  filePreview(
    fileId: string,
    modifiedAt: string,
    body: Body,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<WorkerAnswer>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

export function workerClient(options: WorkerClientOptions): WorkerClient {
  const retries = options.retries ?? 4;
  const retryBaseMs = options.retryBaseMs ?? 1_000;
  const base = `${options.workerUrl}${NAS_API_PATH}`;
  const auth = `Bearer ${options.agentToken}`;

  async function call(
    what: string,
    requestId: string,
    signal: AbortSignal,
    timeoutMs: number,
    init: () => { method: string; headers: Record<string, string>; body: NonNullable<RequestInit['body']> },
    path = `send-requests/${encodeURIComponent(requestId)}/${what}`,
  ): Promise<WorkerAnswer> {
    let error = '';
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted();
      let retryAfterMs = 0;
      try {
        const { method, headers, body } = init();
        const res = await fetch(`${base}/${path}`, {
          method,
          headers: { ...headers, authorization: auth },
          body,
          duplex: 'half',
          redirect: 'error',
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        } as RequestInit);
        const text = await res.text().catch(() => '');
        if (res.ok) return { kind: 'ok', status: res.status };
        if (res.status !== 429 && res.status < 500)
          return { kind: 'rejected', status: res.status, code: errorCode(text) };
        error = `HTTP ${res.status}${errorCode(text) ? ` ${errorCode(text)}` : ''}`;
        const ra = Number(res.headers.get('retry-after'));
        if (Number.isFinite(ra) && ra > 0) retryAfterMs = Math.min(ra * 1000, 60_000);
      } catch (e) {
        signal.throwIfAborted();
        error = describe(e);
      }
      if (attempt >= retries) return { kind: 'unreachable', error, tries: attempt + 1 };
      const delay = Math.max(retryAfterMs, Math.round(retryBaseMs * 2 ** attempt * (0.8 + Math.random() * 0.4)));
      options.onRetry?.({ what, requestId, error, retryInMs: delay, try: attempt + 1 });
      await sleep(delay, signal);
    }
  }

  const putBody = (body: Body) => () => ({
    method: 'PUT',
    headers: {
      'content-type': body.contentType,
      'content-length': String(body.length),
      [SHA256_HEADER]: body.sha256,
    },
    body: body.open() as NonNullable<RequestInit['body']>,
  });

  return {
    put(requestId, what, body, signal, timeoutMs) {
      return call(what, requestId, signal, timeoutMs, putBody(body));
    },
    thumbnail(fileId, body, signal, timeoutMs) {
      return call(
        'thumbnail',
        fileId,
        signal,
        timeoutMs,
        putBody(body),
        `files/${encodeURIComponent(fileId)}/thumbnail`,
      );
    },
    filePreview(fileId, modifiedAt, body, signal, timeoutMs) {
      const put = putBody(body);
      return call(
        'preview',
        fileId,
        signal,
        timeoutMs,
        () => {
          const init = put();
          return { ...init, headers: { ...init.headers, [SOURCE_MODIFIED_AT_HEADER]: modifiedAt } };
        },
        `nas-files/${encodeURIComponent(fileId)}/preview`,
      );
    },
    failure(requestId, reason, signal) {
      return call('failure', requestId, signal, 30_000, () => ({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reason }),
      }));
    },
  };
}

function errorCode(text: string): string | undefined {
  try {
    const v = (JSON.parse(text) as { error?: unknown }).error;
    return typeof v === 'string' ? v.slice(0, 100) : undefined;
  } catch {
    return undefined;
  }
}
