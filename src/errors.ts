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
