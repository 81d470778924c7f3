/** The Claude emulator's control endpoints, reached over fetch from inside workerd. */
import { env } from 'cloudflare:test';

export interface ClaudeRequest {
  id: string;
  at: number;
  headers: Record<string, string>;
  body: {
    model: string;
    system?: unknown;
    messages: Array<{ role: string; content: unknown }>;
    tools?: Array<{ name: string }>;
  };
  status: number | null;
  response: { content?: Array<{ type: string; text?: string; name?: string }> } | null;
  errors: string[];
}

const control = (path: string, init?: RequestInit) => fetch(`${env.ANTHROPIC_BASE_URL}/__emulator${path}`, init);
const post = (path: string, body: unknown) =>
  control(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
    async (r) => {
      if (!r.ok) throw new Error(`claude emulator refused ${path}: ${r.status} ${await r.text()}`);
    },
  );

/** Requests whose last user turn contains `marker` (each test marks its questions). */
export async function claudeRequests(marker: string): Promise<ClaudeRequest[]> {
  const all = ((await (await control('/requests')).json()) as { requests: ClaudeRequest[] }).requests;
  return all.filter((r) => JSON.stringify(r.body?.messages ?? []).includes(marker));
}

export const claudeViolations = async () =>
  ((await (await control('/violations')).json()) as { violations: ClaudeRequest[] }).violations;

export const claudeFault = (fault: {
  status: number;
  match: string;
  times?: number;
  retryAfter?: number;
  message?: string;
}) => post('/faults', fault);
export const claudeScript = (answer: { match: string; text?: string; content?: unknown[]; times?: number }) =>
  post('/script', answer);
export const claudeDelay = (delay: { ms: number; match: string; times?: number }) => post('/delay', delay);

/** Seeds the bytes LINE serves for a message's content. */
export async function seedLineContent(messageId: string, bytes: Uint8Array, contentType: string) {
  const res = await fetch(`${env.LINE_API_BASE_URL}/__emulator/content/${encodeURIComponent(messageId)}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: bytes,
  });
  if (!res.ok) throw new Error(`emulator refused content: ${res.status}`);
}
