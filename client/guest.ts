/** Guest sessions: a token for a room without a backend, while the gateway allows them. */
import { Client, fetchExchange } from '@urql/core';
import { CreateSessionDocument } from './generated/graphql';
import { fromCombinedError } from './links';
import { ClientErrorCode } from './protocol';
import { SignalingError } from './errors';
import type { Session } from './types';

/** Options of {@link createGuestSession}. */
export interface GuestSessionOptions {
  /** The gateway's GraphQL endpoint, `https://host/graphql`. */
  readonly url: string;
  readonly room: string;
  /** Ask for this peer id (default: the gateway picks one); `PEER_ID_TAKEN` if a live session holds it. */
  readonly peerId?: string;
  /** A display name others see in the roster. */
  readonly name?: string;
  /** Your API key, when the gateway has guest sessions off. */
  readonly apiKey?: string;
  readonly fetchImpl?: typeof fetch;
}

/** Asks the gateway for a session token (`createSession`); rejects with a coded {@link SignalingError}. */
export async function createGuestSession(options: GuestSessionOptions): Promise<Session> {
  const urql = new Client({
    url: options.url.replace(/^ws/, 'http'),
    exchanges: [fetchExchange],
    ...(options.fetchImpl ? { fetch: options.fetchImpl } : {}),
    ...(options.apiKey ? { fetchOptions: { headers: { 'x-api-key': options.apiKey } } } : {}),
  });
  const result = await urql
    .mutation(CreateSessionDocument, { room: options.room, peerId: options.peerId ?? null, name: options.name ?? null })
    .toPromise();
  if (result.error) throw fromCombinedError(result.error);
  if (!result.data) throw new SignalingError(ClientErrorCode.BadResponse, 'createSession answered without data');
  return result.data.createSession;
}
