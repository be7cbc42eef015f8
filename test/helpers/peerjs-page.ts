import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { isLocal } from './browser';
import { PAGE_STEP_TIMEOUT_MS } from './demo-page';

/**
 * The official `peerjs` client from node_modules, bundled for the browser (no CDN): it defines
 * `PeerJs.Peer` on the page.
 */
export async function bundlePeerjs(): Promise<string> {
  const result = await build({
    stdin: { contents: "export { Peer } from 'peerjs';", resolveDir: join(__dirname, '..', '..'), loader: 'js' },
    bundle: true,
    format: 'iife',
    globalName: 'PeerJs',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('esbuild produced no bundle');
  return file.text;
}

/** What the page's Peer saw, as the test reads it back. */
export interface PeerLog {
  errors: string[];
  received: unknown[];
  remoteVideo: boolean;
}

/**
 * A fresh page (own context) on the gateway's origin with the bundle loaded and a `Peer` for `id` in
 * `key` (the room), opened: resolves with the page once the Peer emitted `open`, or rejects with its
 * error type (`unavailable-id`, `invalid-key`…). The page reaches nothing but loopback.
 */
export async function peerjsPage(browser: Browser, bundle: string, gatewayUrl: string, key: string, id: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.route('**/*', (route) => (isLocal(route.request().url()) ? route.continue() : route.abort('internetdisconnected')));
  await page.goto(`${gatewayUrl}/healthz`);
  await page.addScriptTag({ content: bundle });
  const { port, hostname } = new URL(gatewayUrl);
  const opened = await page.evaluate(
    ({ id, key, port, hostname, timeoutMs }) =>
      new Promise<string>((resolve) => {
        const log = { errors: [] as string[], received: [] as unknown[], remoteVideo: false };
        const w = window as unknown as Record<string, unknown>;
        w['peerLog'] = log;
        const ctor = (w['PeerJs'] as { Peer: new (id: string, options: object) => PeerLike }).Peer;
        const peer = new ctor(id, { host: hostname, port: Number(port), path: '/peerjs', key, secure: false, config: { iceServers: [] }, debug: 0 });
        w['peer'] = peer;
        const timer = setTimeout(() => resolve('timeout'), timeoutMs);
        peer.on('open', () => {
          clearTimeout(timer);
          resolve('open');
        });
        // Answers: data connections log what they receive; calls are answered with the fake camera.
        peer.on('connection', (conn) => (conn as PeerLike).on('data', (data) => log.received.push(data)));
        peer.on('call', (value) => {
          const call = value as PeerLike & { answer(stream: MediaStream): void };
          void navigator.mediaDevices.getUserMedia({ video: true, audio: false }).then((stream) => call.answer(stream));
          call.on('stream', (remote) => play(remote as MediaStream));
        });
        const play = (stream: MediaStream): void => {
          const video = document.createElement('video');
          video.muted = true;
          video.autoplay = true;
          video.srcObject = stream;
          video.addEventListener('resize', () => (log.remoteVideo = video.videoWidth > 0));
          document.body.append(video);
        };
        w['playRemote'] = play;
        peer.on('error', (error: unknown) => {
          const type = String((error as { type?: string }).type);
          log.errors.push(type);
          clearTimeout(timer);
          resolve(type);
        });
        interface PeerLike {
          on(event: string, listener: (value: unknown) => void): void;
        }
      }),
    { id, key, port, hostname, timeoutMs: PAGE_STEP_TIMEOUT_MS },
  );
  if (opened !== 'open') {
    await page.context().close();
    throw new Error(opened);
  }
  return page;
}

/** The page's Peer log (errors, data received, whether a remote video plays). */
export function peerLog(page: Page): Promise<PeerLog> {
  return page.evaluate(() => (window as unknown as { peerLog: PeerLog }).peerLog);
}

/** The page's Peer opens a DataConnection to `to` and sends `text` once it is open. */
export async function sendData(page: Page, to: string, text: string): Promise<void> {
  await page.evaluate(
    ({ to, text }) => {
      const w = window as unknown as { peer: { connect(id: string): { on(event: string, listener: () => void): void; send(data: string): void } } };
      const conn = w.peer.connect(to);
      conn.on('open', () => conn.send(text));
    },
    { to, text },
  );
}

/** The page's Peer calls `to` with its fake camera and plays the answer's stream. */
export async function callWithCamera(page: Page, to: string): Promise<void> {
  await page.evaluate(async (to) => {
    const w = window as unknown as {
      peer: { call(id: string, stream: MediaStream): { on(event: string, listener: (stream: MediaStream) => void): void } };
      playRemote(stream: MediaStream): void;
    };
    const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    w.peer.call(to, stream).on('stream', (remote) => w.playRemote(remote));
  }, to);
}

/** Waits until the page's log satisfies `check` (a page-side poll with a bound, not a sleep). */
export async function untilLog(page: Page, check: string, timeoutMs = PAGE_STEP_TIMEOUT_MS): Promise<void> {
  await page.waitForFunction(`(() => { const log = window.peerLog; return ${check}; })()`, undefined, { timeout: timeoutMs });
}
