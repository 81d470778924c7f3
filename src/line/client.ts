/**
 * A small fetch-based client for the LINE Messaging API: only the calls this service makes.
 * Types come from @line/bot-sdk (type-only import: no SDK code is bundled into the Worker).
 */
import type { messagingApi } from '@line/bot-sdk';
import { sleep } from '../lib/time';
import { LineApiError } from './errors';
import { chunk, derivedRetryKey } from './messages';

export type UserProfile = messagingApi.UserProfileResponse;
export type MemberProfile = messagingApi.GroupUserProfileResponse | messagingApi.RoomUserProfileResponse;
export type GroupSummary = messagingApi.GroupSummaryResponse;
export type Message = messagingApi.Message;
export type SentMessages = messagingApi.ReplyMessageResponse;
export type MessageQuota = messagingApi.MessageQuotaResponse;
export type QuotaConsumption = messagingApi.QuotaConsumptionResponse;

export const MAX_MESSAGES_PER_REQUEST = 5;

export interface LineClientOptions {
  channelAccessToken: string;
  apiBaseUrl?: string;
  dataApiBaseUrl?: string;
  /** Retries after the first try, for 429, 5xx and network errors. */
  maxRetries?: number;
  /** First backoff; doubles each retry (plus jitter), capped by `Retry-After` when LINE sends it. */
  retryBaseDelayMs?: number;
  /** Called once per HTTP request sent (counting LINE API calls for metrics and benchmarks). */
  onRequest?: (info: { method: string; path: string; status: number }) => void;
}

export type LineClient = ReturnType<typeof createLineClient>;

export function createLineClient(options: LineClientOptions) {
  const apiBase = trimSlash(options.apiBaseUrl || 'https://api.line.me');
  const dataBase = trimSlash(options.dataApiBaseUrl || 'https://api-data.line.me');
  const maxRetries = options.maxRetries ?? 2;
  const baseDelay = options.retryBaseDelayMs ?? 200;

  async function send(
    base: string,
    method: 'GET' | 'POST',
    path: string,
    init: { body?: unknown; headers?: Record<string, string>; retry: boolean },
  ): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${options.channelAccessToken}`,
      ...init.headers,
    };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(base + path, {
          method,
          headers,
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
        });
      } catch (cause) {
        options.onRequest?.({ method, path, status: 0 });
        if (init.retry && attempt < maxRetries) {
          await sleep(backoff(attempt));
          continue;
        }
        throw new LineApiError(method, path, 0, undefined, undefined, undefined, { cause });
      }
      options.onRequest?.({ method, path, status: res.status });
      if (res.ok) return res;
      const error = await toError(method, path, res);
      if (init.retry && error.isRetryable && attempt < maxRetries) {
        await sleep(backoff(attempt, res.headers.get('retry-after')));
        continue;
      }
      throw error;
    }
  }

  function backoff(attempt: number, retryAfter?: string | null): number {
    const fromHeader = retryAfter ? Number(retryAfter) * 1000 : NaN;
    if (Number.isFinite(fromHeader) && fromHeader >= 0) return Math.min(fromHeader, 5_000);
    const exp = baseDelay * 2 ** attempt;
    return exp + Math.random() * exp * 0.2;
  }

  const getJson = async <T>(path: string): Promise<T> => (await send(apiBase, 'GET', path, { retry: true })).json<T>();

  const id = encodeURIComponent;

  return {
    getProfile: (userId: string) => getJson<UserProfile>(`/v2/bot/profile/${id(userId)}`),
    getGroupMemberProfile: (groupId: string, userId: string) =>
      getJson<MemberProfile>(`/v2/bot/group/${id(groupId)}/member/${id(userId)}`),
    getRoomMemberProfile: (roomId: string, userId: string) =>
      getJson<MemberProfile>(`/v2/bot/room/${id(roomId)}/member/${id(userId)}`),
    getGroupSummary: (groupId: string) => getJson<GroupSummary>(`/v2/bot/group/${id(groupId)}/summary`),
    getGroupMemberCount: async (groupId: string) =>
      (await getJson<messagingApi.GroupMemberCountResponse>(`/v2/bot/group/${id(groupId)}/members/count`)).count,
    getRoomMemberCount: async (roomId: string) =>
      (await getJson<messagingApi.RoomMemberCountResponse>(`/v2/bot/room/${id(roomId)}/members/count`)).count,

    /** The month's target limit for pushes: `{type: 'none'}` or `{type: 'limited', value}`. */
    getMessageQuota: () => getJson<MessageQuota>('/v2/bot/message/quota'),
    /** The messages counted against it this month (a push to a group counts once per member). */
    getMessageQuotaConsumption: () => getJson<QuotaConsumption>('/v2/bot/message/quota/consumption'),

    /**
     * Reply with up to 5 messages (a reply token is single-use, so there is only one request).
     * Retrying is safe: a token LINE already accepted is refused, never delivered twice.
     */
    async replyMessage(replyToken: string, messages: Message[]): Promise<SentMessages> {
      if (messages.length === 0 || messages.length > MAX_MESSAGES_PER_REQUEST) {
        throw new RangeError(`a reply carries 1 to ${MAX_MESSAGES_PER_REQUEST} messages, got ${messages.length}`);
      }
      const res = await send(apiBase, 'POST', '/v2/bot/message/reply', {
        body: { replyToken, messages } satisfies messagingApi.ReplyMessageRequest,
        retry: true,
      });
      return res.json<SentMessages>();
    },

    /**
     * Push any number of messages, 5 per request. Each request carries an `X-Line-Retry-Key`
     * (the given UUID, then keys derived from it) so a retry never delivers twice: LINE answers
     * 409 to a key it already accepted, which counts as success here.
     */
    async pushMessage(
      to: string,
      messages: Message[],
      retryKey: string = crypto.randomUUID(),
    ): Promise<SentMessages[]> {
      const results: SentMessages[] = [];
      const batches = chunk(messages, MAX_MESSAGES_PER_REQUEST);
      for (const [i, batch] of batches.entries()) {
        const key = i === 0 ? retryKey : await derivedRetryKey(retryKey, i);
        try {
          const res = await send(apiBase, 'POST', '/v2/bot/message/push', {
            body: { to, messages: batch } satisfies messagingApi.PushMessageRequest,
            headers: { 'x-line-retry-key': key },
            retry: true,
          });
          results.push(await res.json<SentMessages>());
        } catch (err) {
          // Accepted before (a retry after a crash or timeout): the same messages, not new ones.
          if (err instanceof LineApiError && err.status === 409) {
            results.push({ sentMessages: err.sentMessages ?? [] });
            continue;
          }
          throw err;
        }
      }
      return results;
    },

    /**
     * The "typing" animation in a 1:1 chat while an answer is prepared (5-60 s, multiples of 5);
     * LINE ends it early when the bot's message arrives.
     */
    async startLoading(chatId: string, loadingSeconds = 60): Promise<void> {
      await send(apiBase, 'POST', '/v2/bot/chat/loading/start', {
        body: { chatId, loadingSeconds } satisfies messagingApi.ShowLoadingAnimationRequest,
        retry: false,
      });
    },

    /** The bytes of an image, video, audio or file message (api-data.line.me); 202 means not ready yet. */
    getMessageContent: (messageId: string) =>
      send(dataBase, 'GET', `/v2/bot/message/${id(messageId)}/content`, { retry: true }),

    /** LINE's small preview of an image or video message (the console's thumbnails); 202 means not ready yet. */
    getMessageContentPreview: (messageId: string) =>
      send(dataBase, 'GET', `/v2/bot/message/${id(messageId)}/content/preview`, { retry: false }),
  };
}

async function toError(method: string, path: string, res: Response): Promise<LineApiError> {
  let message: string | undefined;
  let details: unknown[] | undefined;
  let sentMessages: messagingApi.SentMessage[] | undefined;
  try {
    const body = (await res.json()) as { message?: unknown; details?: unknown; sentMessages?: unknown };
    if (typeof body.message === 'string') message = body.message;
    if (Array.isArray(body.details)) details = body.details;
    if (Array.isArray(body.sentMessages)) sentMessages = body.sentMessages as messagingApi.SentMessage[];
  } catch {
    // LINE's error bodies are JSON; anything else (a proxy's HTML page) carries no detail for us.
  }
  return new LineApiError(
    method,
    path,
    res.status,
    message,
    details,
    res.headers.get('x-line-request-id') ?? undefined,
    { sentMessages },
  );
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');
