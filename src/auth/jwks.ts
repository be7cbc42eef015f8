import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { JWKS_CACHE_MS, JWKS_FAILURE_BACKOFF_MS, JWKS_FETCH_TIMEOUT_MS, JWKS_REFETCH_COOLDOWN_MS, MAX_JWKS_BYTES } from '../protocol';

/**
 * The token's keys could not be had (the JWKS URL is down, too slow, or sends something that is not
 * a key set): the token may be fine, so this is an outage (UNAVAILABLE), never "token invalid".
 */
export class KeySourceUnavailableError extends Error {
  override name = 'KeySourceUnavailableError';
}

export interface RemoteKeySetLimits {
  fetchTimeoutMs: number;
  maxBytes: number;
  cacheMs: number;
  refetchCooldownMs: number;
  failureBackoffMs: number;
}

const DEFAULT_LIMITS: RemoteKeySetLimits = {
  fetchTimeoutMs: JWKS_FETCH_TIMEOUT_MS,
  maxBytes: MAX_JWKS_BYTES,
  cacheMs: JWKS_CACHE_MS,
  refetchCooldownMs: JWKS_REFETCH_COOLDOWN_MS,
  failureBackoffMs: JWKS_FAILURE_BACKOFF_MS,
};

type Resolver = (...args: Parameters<JWTVerifyGetKey>) => ReturnType<JWTVerifyGetKey>;

/**
 * A key set fetched from a URL, bounded where jose's remote set is not: one download in flight at a
 * time (every token waiting shares it), a deadline on the whole download (a server that sends
 * headers and then stalls counts as down), a size cap on the body, and a short backoff after a
 * failure so an outage is answered at once instead of by one slow download per request. Keys already
 * fetched stay in use while a refresh fails.
 */
export class RemoteKeySet {
  private keys: Resolver | null = null;
  private fetchedAt = 0;
  private failedAt = -Infinity;
  private inFlight: Promise<Resolver> | null = null;
  private readonly limits: RemoteKeySetLimits;

  constructor(
    private readonly url: URL,
    limits: Partial<RemoteKeySetLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** jose's key lookup: the key for a token's header, fetching (or refetching) the set when needed. */
  readonly getKey: Resolver = async (header, token) => {
    const stale = this.keys === null || this.now() - this.fetchedAt > this.limits.cacheMs;
    const keys = stale ? await this.refresh() : this.keys;
    if (keys === null) throw new KeySourceUnavailableError('no key set');
    try {
      return await keys(header, token);
    } catch (error) {
      // An unknown kid may be a rotated key: look again, but not more often than the cooldown.
      const unknownKey = error instanceof Error && 'code' in error && error.code === 'ERR_JWKS_NO_MATCHING_KEY';
      if (!unknownKey || this.now() - this.fetchedAt < this.limits.refetchCooldownMs) throw error;
      return (await this.refresh())(header, token);
    }
  };

  /** The fresh set, or the last good one when the download fails; throws only when there is none. */
  private async refresh(): Promise<Resolver> {
    if (this.now() - this.failedAt < this.limits.failureBackoffMs) {
      if (this.keys) return this.keys;
      throw new KeySourceUnavailableError('the JWKS URL failed moments ago');
    }
    this.inFlight ??= this.download().finally(() => {
      this.inFlight = null;
    });
    try {
      return await this.inFlight;
    } catch (error) {
      if (this.keys) return this.keys;
      throw error;
    }
  }

  private async download(): Promise<Resolver> {
    try {
      const set = parseKeySet(await fetchBounded(this.url, this.limits.fetchTimeoutMs, this.limits.maxBytes));
      this.keys = createLocalJWKSet(set);
      this.fetchedAt = this.now();
      return this.keys;
    } catch (error) {
      this.failedAt = this.now();
      if (error instanceof KeySourceUnavailableError) throw error;
      throw new KeySourceUnavailableError(`JWKS download failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** GETs `url` within `timeoutMs` in all (body included), reading at most `maxBytes`. */
async function fetchBounded(url: URL, timeoutMs: number, maxBytes: number): Promise<string> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new KeySourceUnavailableError(`JWKS not received within ${timeoutMs} ms`)), timeoutMs);
  try {
    const response = await fetch(url, { signal: abort.signal, redirect: 'error', headers: { accept: 'application/json' } });
    if (!response.ok) throw new KeySourceUnavailableError(`JWKS URL answered ${response.status}`);
    if (Number(response.headers.get('content-length') ?? 0) > maxBytes) throw new KeySourceUnavailableError(`JWKS larger than ${maxBytes} bytes`);
    const reader = response.body?.getReader();
    if (!reader) throw new KeySourceUnavailableError('JWKS response has no body');
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw new KeySourceUnavailableError(`JWKS larger than ${maxBytes} bytes`);
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    throw abort.signal.aborted && abort.signal.reason instanceof KeySourceUnavailableError ? abort.signal.reason : error;
  } finally {
    clearTimeout(timer);
    // Ends a body left unread (oversized or failed): the connection is not kept downloading.
    abort.abort();
  }
}

function parseKeySet(text: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KeySourceUnavailableError('JWKS is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) {
    throw new KeySourceUnavailableError('JWKS has no keys array');
  }
  return parsed as JSONWebKeySet;
}
