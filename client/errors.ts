import { ClientErrorCode, ErrorCode } from './protocol';

/** Any code a {@link SignalingError} can carry: the gateway's or the SDK's own. */
export type SignalingErrorCode = ErrorCode | ClientErrorCode | (string & {});

/**
 * The one error type the SDK rejects with: a message plus the gateway's `extensions.code` (or one of
 * {@link ClientErrorCode}), so callers branch on `error.code`, never on a message.
 */
export class SignalingError extends Error {
  override readonly name = 'SignalingError';

  /**
   * @param code - the gateway's `extensions.code`, or one of {@link ClientErrorCode}
   * @param message - what happened and what to do
   * @param details - extra fields: `retryAfterMs` for `RATE_LIMITED`, `closeCode` for a closed socket
   */
  constructor(
    readonly code: SignalingErrorCode,
    message: string,
    readonly details: { readonly retryAfterMs?: number; readonly closeCode?: number } = {},
  ) {
    super(message);
  }

  /** True when retrying the same operation later can succeed. */
  get retryable(): boolean {
    return this.code === ErrorCode.RateLimited || this.code === ErrorCode.Unavailable || this.code === ClientErrorCode.Transport;
  }
}

/** A GraphQL error as it arrives over any transport. */
export interface GraphQLErrorLike {
  readonly message: string;
  readonly extensions?: { readonly [key: string]: unknown } | undefined;
}

/** The SDK's error for the first of `errors` (the gateway sends one per refusal). */
export function fromGraphQLErrors(errors: readonly GraphQLErrorLike[]): SignalingError {
  const first = errors[0];
  const extensions = first?.extensions ?? {};
  const code = typeof extensions['code'] === 'string' ? extensions['code'] : 'GRAPHQL_ERROR';
  const retryAfterMs = extensions['retryAfterMs'];
  return new SignalingError(code, first?.message ?? 'unknown GraphQL error', typeof retryAfterMs === 'number' ? { retryAfterMs } : {});
}

/** Wraps whatever a transport threw (a close event, a fetch failure) as a retryable `TRANSPORT` error. */
export function transportError(cause: unknown): SignalingError {
  if (cause instanceof SignalingError) return cause;
  const close = closeInfo(cause);
  if (close) return new SignalingError(ClientErrorCode.Transport, `connection closed (${close.code}${close.reason ? ` ${close.reason}` : ''})`, { closeCode: close.code });
  return new SignalingError(ClientErrorCode.Transport, cause instanceof Error ? cause.message : 'transport failed');
}

/** The code and reason of a WebSocket close event, whichever implementation produced it. */
export function closeInfo(event: unknown): { code: number; reason: string } | null {
  if (typeof event !== 'object' || event === null || !('code' in event)) return null;
  const { code } = event;
  if (typeof code !== 'number') return null;
  const reason = 'reason' in event && typeof event.reason === 'string' ? event.reason : '';
  return { code, reason };
}

/** A `CLOSED` error, for waits cut short by `close()`. */
export function closedError(): SignalingError {
  return new SignalingError(ClientErrorCode.Closed, 'the signaling client was closed');
}
