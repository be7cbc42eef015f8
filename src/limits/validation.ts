import type { IceCandidateData } from '../events';
import { refusal } from '../errors';
import {
  ErrorCode,
  ID_PATTERN,
  MAX_CANDIDATE_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_NAME_CHARS,
  MAX_SDP_BYTES,
  MAX_SDP_MID_CHARS,
  MAX_SDP_MLINE_INDEX,
  MAX_USERNAME_FRAGMENT_CHARS,
} from '../protocol';

/**
 * RFC 8839 candidate-attribute: foundation, component, transport, priority, address, port, `typ` and
 * type, then extension pairs. Addresses may be IPv4, IPv6 or an mDNS `.local` name.
 */
const CANDIDATE_PATTERN =
  /^candidate:[A-Za-z0-9+/]{1,32} \d{1,3} [A-Za-z]{3,8} \d{1,10} [A-Za-z0-9.:%-]{1,255} \d{1,5} typ (?:host|srflx|prflx|relay)(?: [\x21-\x7e]{1,255})*$/;
/** DTLS fingerprint attribute (RFC 8122): hash function, then hex bytes joined by colons. */
const FINGERPRINT_PATTERN = /^a=fingerprint:[A-Za-z0-9-]{1,16} (?:[0-9A-Fa-f]{2}:){15,63}[0-9A-Fa-f]{2}\r?$/m;
/** Printable ASCII only, no spaces: token-ish fields such as ufrag and mid. */
const TOKEN_CHARS = /^[\x21-\x7e]*$/;
/** Control characters SDP must not carry (its lines end in CRLF; TAB is allowed in its text fields). */
const CONTROL_CHARS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/;
/**
 * Unicode control (Cc) and format (Cf) characters: CR, LF, TAB, NUL, bidi overrides and isolates
 * (U+202E, U+2066), zero-width spaces and joiners (U+200B, U+200D), BOM. None belongs in text that
 * other peers are shown; a bidi override would make a name read as something else.
 */
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}]/u;
const FORMAT_CHARS = /\p{Cf}/u;

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * An app message's data: at most {@link MAX_MESSAGE_BYTES} as UTF-8, and no control characters but
 * tab, line feed and carriage return (the whitespace JSON text carries as is).
 */
export function validateMessageData(data: string): string {
  if (byteLength(data) > MAX_MESSAGE_BYTES) {
    throw refusal(ErrorCode.PayloadTooLarge, `data exceeds ${MAX_MESSAGE_BYTES} bytes`, { field: 'data', limit: MAX_MESSAGE_BYTES });
  }
  if (CONTROL_CHARS.test(data)) {
    throw refusal(ErrorCode.BadUserInput, 'data must not contain control characters other than tab, line feed and carriage return', { field: 'data' });
  }
  return data;
}

export function validateId(kind: 'room' | 'peerId' | 'to' | 'id', value: string): string {
  if (!ID_PATTERN.test(value)) {
    throw refusal(ErrorCode.BadUserInput, `${kind} must match ${ID_PATTERN.source}`, { field: kind });
  }
  return value;
}

/** A display name: 1–{@link MAX_NAME_CHARS} characters, not only spaces, no control or format characters. */
export function isDisplayName(name: string): boolean {
  return name.length <= MAX_NAME_CHARS && name.trim().length > 0 && !CONTROL_OR_FORMAT.test(name);
}

export const NAME_RULE = `name must be 1–${MAX_NAME_CHARS} characters, without control or format characters (Unicode Cc, Cf)`;

export function validateName(name: string | null | undefined): string | null {
  if (name === null || name === undefined) return null;
  if (!isDisplayName(name)) throw refusal(ErrorCode.BadUserInput, NAME_RULE, { field: 'name' });
  return name;
}

/** An offer or answer: at most {@link MAX_SDP_BYTES}, `v=0` first, and a DTLS fingerprint. */
export function validateSdp(sdp: string): string {
  if (byteLength(sdp) > MAX_SDP_BYTES) {
    throw refusal(ErrorCode.PayloadTooLarge, `sdp exceeds ${MAX_SDP_BYTES} bytes`, { field: 'sdp', limit: MAX_SDP_BYTES });
  }
  if (!sdp.startsWith('v=0')) {
    throw refusal(ErrorCode.BadUserInput, 'sdp must be a session description starting with v=0', { field: 'sdp' });
  }
  if (CONTROL_CHARS.test(sdp) || FORMAT_CHARS.test(sdp)) {
    throw refusal(ErrorCode.BadUserInput, 'sdp contains control or format characters', { field: 'sdp' });
  }
  if (!FINGERPRINT_PATTERN.test(sdp)) {
    throw refusal(ErrorCode.BadUserInput, 'sdp must carry a DTLS a=fingerprint: line', { field: 'sdp' });
  }
  return sdp;
}

export interface IceCandidateInput {
  candidate: string;
  sdpMid?: string | null | undefined;
  sdpMLineIndex?: number | null | undefined;
  usernameFragment?: string | null | undefined;
}

/** An ICE candidate, or `""` (end of candidates), with its optional fields bounded. */
export function validateCandidate(input: IceCandidateInput): IceCandidateData {
  const { candidate } = input;
  if (byteLength(candidate) > MAX_CANDIDATE_BYTES) {
    throw refusal(ErrorCode.PayloadTooLarge, `candidate exceeds ${MAX_CANDIDATE_BYTES} bytes`, {
      field: 'candidate',
      limit: MAX_CANDIDATE_BYTES,
    });
  }
  if (candidate !== '' && !CANDIDATE_PATTERN.test(candidate)) {
    throw refusal(ErrorCode.BadUserInput, 'candidate must follow the candidate: grammar of RFC 8839, or be "" for end-of-candidates', {
      field: 'candidate',
    });
  }
  const sdpMid = input.sdpMid ?? null;
  if (sdpMid !== null && (sdpMid.length > MAX_SDP_MID_CHARS || !TOKEN_CHARS.test(sdpMid))) {
    throw refusal(ErrorCode.BadUserInput, `sdpMid must be at most ${MAX_SDP_MID_CHARS} printable characters`, { field: 'sdpMid' });
  }
  const sdpMLineIndex = input.sdpMLineIndex ?? null;
  if (sdpMLineIndex !== null && (sdpMLineIndex < 0 || sdpMLineIndex > MAX_SDP_MLINE_INDEX)) {
    throw refusal(ErrorCode.BadUserInput, `sdpMLineIndex must be 0–${MAX_SDP_MLINE_INDEX}`, { field: 'sdpMLineIndex' });
  }
  const usernameFragment = input.usernameFragment ?? null;
  if (usernameFragment !== null && (usernameFragment.length > MAX_USERNAME_FRAGMENT_CHARS || !TOKEN_CHARS.test(usernameFragment))) {
    throw refusal(ErrorCode.BadUserInput, `usernameFragment must be at most ${MAX_USERNAME_FRAGMENT_CHARS} printable characters`, {
      field: 'usernameFragment',
    });
  }
  return { candidate, sdpMid, sdpMLineIndex, usernameFragment };
}
