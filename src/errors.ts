import { GraphQLError } from 'graphql';
import { ErrorCode } from './protocol';

/**
 * A refusal the client can act on: a GraphQL error whose `extensions.code` is one of {@link ErrorCode}.
 * Anything thrown that is not one of these is an internal error and yoga masks it.
 */
export function refusal(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export const unauthenticated = (message = 'a valid session token is required (Authorization: Bearer <token>)') =>
  refusal(ErrorCode.Unauthenticated, message);

export const unavailable = (message = 'the message broker is unavailable; nothing was accepted, retry shortly') => refusal(ErrorCode.Unavailable, message);

/** A refusal as plain data, for transports that answer without GraphQL (Socket.IO acks, PeerJS ERROR). */
export interface CodedError {
  code: string;
  message: string;
  [detail: string]: unknown;
}

/** A refusal's code, message and details (such as retryAfterMs); null for anything else (an internal error). */
export function codedError(error: unknown): CodedError | null {
  if (!(error instanceof GraphQLError) || typeof error.extensions['code'] !== 'string') return null;
  const { code, ...details } = error.extensions;
  return { ...details, code, message: error.message };
}
