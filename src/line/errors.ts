import type { messagingApi } from '@line/bot-sdk';

type SentMessage = messagingApi.SentMessage;

/** Every failed LINE API call becomes this one error type. */
export class LineApiError extends Error {
  override readonly name = 'LineApiError';

  constructor(
    readonly method: string,
    readonly path: string,
    /** HTTP status; 0 when the request never got an answer (network error). */
    readonly status: number,
    /** LINE's own `message` from the error body. */
    readonly lineMessage: string | undefined,
    readonly details: unknown[] | undefined,
    /** `x-line-request-id`, which LINE support asks for. */
    readonly requestId: string | undefined,
    options?: { cause?: unknown; sentMessages?: SentMessage[] },
  ) {
    super(
      `LINE API ${method} ${path} failed: ${status || 'network error'}${lineMessage ? ` ${lineMessage}` : ''}`,
      options,
    );
    this.sentMessages = options?.sentMessages;
  }

  /** A 409 to a push retry key carries what LINE sent the first time. */
  readonly sentMessages: SentMessage[] | undefined;

  /** Not a friend, left the group, unknown id: a fact about the world, not a failure to retry. */
  get isNotFound(): boolean {
    return this.status === 404;
  }

  get isRetryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}
