import { randomBytes } from 'node:crypto';
import type { ExecutionResult } from 'graphql-ws';

/**
 * The extension key of a stand-in result: random per process, so no payload a client or a plugin can
 * make carries it.
 */
const FRAME_KEY = `switchboard.frame.${randomBytes(8).toString('hex')}`;
/** How graphql-ws's `next` message of a stand-in ends: `…,"payload":{"extensions":{"<key>":<slot>}}}`. */
const MARKER = `"payload":{"extensions":{"${FRAME_KEY}":`;
/** The slot number (at most 16 digits) and the three closing braces after the marker. */
const MARKER_TAIL_CHARS = 16 + 3;

/**
 * Payloads serialised before graphql-ws sends them, for one socket. graphql-ws builds every `next`
 * message itself (`JSON.stringify({ id, type, payload })`) and hands the text to the adapter's `send`;
 * payloads the gateway already has as text (events rendered once for every subscriber of a selection,
 * shared-presence.ts) go to graphql-ws as one small stand-in result naming a slot here, and `send`
 * writes, in the stand-in's place, one `next` message per payload: graphql-ws's own beginning of the
 * message (`{"id":…,"type":"next",`) and the payload's text. The id, the type and the order stay
 * graphql-ws's (its later messages for the id follow the stand-in's send); the bytes of each message
 * are those of `JSON.stringify` of its real payload. Several payloads per stand-in spare graphql-ws's
 * per-message work (a result's turn through its loop, validation, stringify) for all but one.
 * The message's text is graphql-ws's, so graphql-ws is pinned (package.json) to the version
 * test/shared-presence.test.ts checks this seam against.
 */
export class FrameSlots {
  private readonly texts = new Map<number, readonly string[]>();
  private nextSlot = 0;

  /** A result for graphql-ws that `resolve` turns into one `next` message per payload. */
  standIn(payloadsJson: readonly string[]): ExecutionResult {
    const slot = this.nextSlot++;
    this.texts.set(slot, payloadsJson);
    return { extensions: { [FRAME_KEY]: slot } };
  }

  /** The messages to write for `message`: itself, or those its stand-in stands for. */
  resolve(message: string): string | string[] {
    if (this.texts.size === 0) return message;
    const at = message.indexOf(MARKER, message.length - MARKER.length - MARKER_TAIL_CHARS);
    if (at === -1) return message;
    const slot = Number(message.slice(at + MARKER.length, message.length - 3));
    const payloads = this.texts.get(slot);
    if (payloads === undefined) return message;
    this.texts.delete(slot);
    const head = `${message.slice(0, at)}"payload":`;
    return payloads.map((payload) => `${head}${payload}}`);
  }
}
