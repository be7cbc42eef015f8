import { timingSafeEqual } from 'node:crypto';

/** Whether `presented` (an `x-api-key` header) is the server's `SIGNALING_API_KEY`; compared in constant time. */
export function isServerApiKey(expected: string | undefined, presented: string | null): boolean {
  if (expected === undefined || presented === null) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
