/** The LINE API emulator's control endpoints, reached over fetch from inside workerd. */
import { env } from 'cloudflare:test';

export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  status: number;
  response: unknown;
  errors: string[];
}

const control = (path: string, init?: RequestInit) => fetch(`${env.LINE_API_BASE_URL}/__emulator${path}`, init);

export async function lineRequests(pathContains?: string): Promise<RecordedRequest[]> {
  const q = pathContains ? `?path=${encodeURIComponent(pathContains)}` : '';
  const res = await control(`/requests${q}`);
  return ((await res.json()) as { requests: RecordedRequest[] }).requests;
}

export async function violations(): Promise<RecordedRequest[]> {
  const res = await control('/violations');
  return ((await res.json()) as { violations: RecordedRequest[] }).violations;
}

/** `bodyContains`: only requests whose JSON body holds this text (a push's `to`, a reply token), so parallel test files keep their own faults. */
export async function addFault(fault: {
  method?: string;
  path?: string;
  pathRegex?: string;
  bodyContains?: string;
  status: number;
  body?: unknown;
  times?: number;
}) {
  const res = await control('/faults', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (!res.ok) throw new Error(`emulator refused the fault: ${res.status}`);
}

export async function seedProfile(profile: {
  userId: string;
  displayName: string;
  pictureUrl?: string;
  language?: string;
}) {
  await control('/profiles', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(profile),
  });
}

export async function seedGroup(group: { groupId: string; groupName: string; pictureUrl?: string; count?: number }) {
  await control('/groups', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(group),
  });
}

/** Makes the emulator refuse pushes to `to` for quota (429, LINE's words), `times` pushes or until the faults are cleared. */
export async function refusePushesForQuota(to: string, times?: number) {
  const res = await control('/quota/refusals', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ to, times }),
  });
  if (!res.ok) throw new Error(`emulator refused the quota refusal: ${res.status}`);
}
