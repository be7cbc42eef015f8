import type { Browser, Page } from 'playwright-core';
import { isLocal } from './browser';

/** Bound for one step of a browser call (join, connect, a message crossing). */
export const PAGE_STEP_TIMEOUT_MS = 20_000;

/** A demo page in a fresh browser context (its own sessionStorage), joined to `room` as `name`; `initScript` runs before the page's own. */
export async function openDemo(browser: Browser, origin: string, room: string, name: string, initScript?: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (initScript) await page.addInitScript({ content: initScript });
  // The page must need nothing but the gateway: anything else is aborted and fails the check below.
  await page.route('**/*', (route) => (isLocal(route.request().url()) ? route.continue() : route.abort('internetdisconnected')));
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // Nothing the page loads may fail (a missing icon was a 404 on every load).
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(`${origin}/?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}`);
  await page.getByRole('button', { name: 'Join' }).click();
  await page.locator('#gateway-state[data-state="connected"]').waitFor({ timeout: PAGE_STEP_TIMEOUT_MS });
  if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
  return page;
}

/** The tile of the remote peer named `name` on `page`. */
export function tileOf(page: Page, name: string) {
  return page.locator('#peers .peer').filter({ hasText: name });
}

/** Waits until `page` has a p2p-connected session to the peer named `name` (chat sent before its channel opens waits for it). */
export async function connectedTo(page: Page, name: string): Promise<void> {
  await tileOf(page, name).locator('.state[data-state="p2p-connected"]').waitFor({ timeout: PAGE_STEP_TIMEOUT_MS });
}

/** Sends `text` in the chat of `from` and waits until `to` shows it. */
export async function chat(from: Page, to: Page, text: string): Promise<void> {
  await from.getByLabel('Message').fill(text);
  await from.getByRole('button', { name: 'Send' }).click();
  await to.locator('#chat-log li').filter({ hasText: text }).waitFor({ timeout: PAGE_STEP_TIMEOUT_MS });
}

/**
 * Instrumentation for {@link openDemo}: every `RTCPeerConnection` the page makes, with the config it
 * was made with, is kept in `window.__connections`, and `window.__framesDecoded()` reads the video
 * frames decoded on each open one (inbound-rtp `framesDecoded`). The page itself is unchanged.
 */
export const RECORD_CONNECTIONS = `(() => {
  const Native = window.RTCPeerConnection;
  const connections = [];
  window.__connections = connections;
  window.RTCPeerConnection = class extends Native {
    constructor(config) {
      super(config);
      connections.push({ pc: this, config: JSON.parse(JSON.stringify(config ?? {})) });
    }
  };
  window.__framesDecoded = () =>
    Promise.all(
      connections
        .filter(({ pc }) => pc.connectionState !== 'closed')
        .map(async ({ pc }) => {
          let frames = 0;
          (await pc.getStats()).forEach((report) => {
            if (report.type === 'inbound-rtp' && report.kind === 'video') frames += report.framesDecoded ?? 0;
          });
          return frames;
        }),
    );
})();`;

/** What {@link RECORD_CONNECTIONS} adds to the page's window. */
interface Recorder {
  __connections: Array<{ pc: RTCPeerConnection; config: RTCConfiguration }>;
  __framesDecoded(): Promise<number[]>;
}

/** The ICE servers of every connection the page made so far (needs {@link RECORD_CONNECTIONS}). */
export function recordedIceServers(page: Page): Promise<RTCIceServer[][]> {
  return page.evaluate(() => (window as unknown as Recorder).__connections.map(({ config }) => config.iceServers ?? []));
}

/** Video frames decoded so far on each of the page's open connections (needs {@link RECORD_CONNECTIONS}). */
export function framesDecoded(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as Recorder).__framesDecoded());
}

/** How often {@link framesGrow} reads the stats. */
const STATS_POLL_MS = 250;

/** Waits until each open connection of `page` decoded at least `more` frames beyond `from` (same order, same count). */
export async function framesGrow(page: Page, from: number[], more: number, timeoutMs = PAGE_STEP_TIMEOUT_MS): Promise<number[]> {
  // getStats has no change event: the page reads the counters every STATS_POLL_MS until they grew or time is up.
  const { grew, now } = await page.evaluate(
    async ({ from, more, timeoutMs, pollMs }) => {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const now = await (window as unknown as Recorder).__framesDecoded();
        const grew = now.length === from.length && now.every((frames, i) => frames >= (from[i] ?? Infinity) + more);
        if (grew || performance.now() > deadline) return { grew, now };
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
    { from, more, timeoutMs, pollMs: STATS_POLL_MS },
  );
  if (!grew) throw new Error(`frames decoded went from ${from.join(', ')} to only ${now.join(', ')} within ${timeoutMs} ms`);
  return now;
}
