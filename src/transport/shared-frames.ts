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
 * a payload the gateway already has as text (an event rendered once for every subscriber of a
 * selection, shared-presence.ts) goes to graphql-ws as a small stand-in result naming a slot here, and
 * `send` puts the text in the stand-in's place. The id, the type and the order stay graphql-ws's; the
 * bytes on the wire are those of `JSON.stringify` of the real payload.
 */
export class FrameSlots {
  private readonly texts = new Map<number, string>();
  private nextSlot = 0;

  /** A result for graphql-ws that `resolve` turns into `payloadJson` on the wire. */
  standIn(payloadJson: string): ExecutionResult {
    const slot = this.nextSlot++;
    this.texts.set(slot, payloadJson);
    return { extensions: { [FRAME_KEY]: slot } };
  }

  /** The message to write: `message` itself, or with a stand-in's payload replaced by its text. */
  resolve(message: string): string {
    if (this.texts.size === 0) return message;
    const at = message.indexOf(MARKER, message.length - MARKER.length - MARKER_TAIL_CHARS);
    if (at === -1) return message;
    const slot = Number(message.slice(at + MARKER.length, message.length - 3));
    const text = this.texts.get(slot);
    if (text === undefined) return message;
    this.texts.delete(slot);
    return `${message.slice(0, at)}"payload":${text}}`;
  }
}
