/**
 * A fresh idempotency key for one signal: the same key goes with every retry of that signal, so a
 * send whose first attempt the gateway did store (an `UNAVAILABLE` or a dropped socket can hide
 * that) is not delivered twice. `getRandomValues` is there in browsers (also outside secure contexts)
 * and in Node.
 */
export function idempotencyKey(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  let key = '';
  for (const byte of bytes) key += byte.toString(16).padStart(2, '0');
  return key;
}
