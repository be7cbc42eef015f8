/**
 * The demo page at `/`: markup and style here, behaviour in web/demo.ts (bundled by `npm run build`
 * into dist/web/). Everything is served by the gateway itself: no CDN, and a CSP that allows only it.
 */
import { existsSync } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The project's root: the nearest directory above this module with a package.json (src/pages/ or dist/server/). */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

/** Where `npm run build` writes the demo bundle. */
export const DEMO_BUNDLE_DIR = join(projectRoot(__dirname), 'dist', 'web');

/** The bundle's files by URL path. */
const BUNDLE_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/demo.js': { file: 'demo.js', type: 'text/javascript; charset=utf-8' },
  '/demo.js.map': { file: 'demo.js.map', type: 'application/json' },
};

/** Only this origin: scripts, styles, media and sockets (a same-origin ws:// is 'self' too). */
export const DEMO_CSP = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** A file the demo page loads. */
export interface DemoAsset {
  body: string | Buffer;
  type: string;
}

/** The page's icon: a switchboard jack. Also served at /favicon.ico, which browsers ask for on every page of the origin. */
const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0a5bd8"/><circle cx="5" cy="8" r="2.2" fill="#fff"/><circle cx="11" cy="8" r="2.2" fill="#fff"/><path d="M5 8h6" stroke="#fff" stroke-width="1.4"/></svg>';

/** The demo's asset at `path` (its style, its icon, or a file of the bundle), or null when there is none or it was not built. */
export async function demoAsset(path: string): Promise<DemoAsset | null> {
  if (path === '/demo.css') return { body: DEMO_CSS, type: 'text/css; charset=utf-8' };
  if (path === '/favicon.svg' || path === '/favicon.ico') return { body: FAVICON_SVG, type: 'image/svg+xml' };
  const asset = BUNDLE_FILES[path];
  if (!asset) return null;
  const body = await readFile(join(DEMO_BUNDLE_DIR, asset.file)).catch(() => null);
  return body ? { body, type: asset.type } : null;
}

/** The page, saying how to build the bundle when it is missing. */
export async function demoHtml(graphqlPath: string): Promise<string> {
  const built = await access(join(DEMO_BUNDLE_DIR, 'demo.js')).then(
    () => true,
    () => false,
  );
  return demoPage(graphqlPath, built);
}

const DEMO_CSS = `
:root{font:16px/1.5 system-ui,sans-serif;color:#1d1d1f;background:#fafafa}
body{max-width:64rem;margin:0 auto;padding:1rem}
h1{margin:.5rem 0}
fieldset{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:0 0 1rem}
label{margin-right:1rem}
input{font:inherit;padding:.2rem .4rem}
button{font:inherit;padding:.2rem .8rem;cursor:pointer}
button:focus-visible,input:focus-visible{outline:3px solid #0a5bd8;outline-offset:2px}
#peers{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr));gap:1rem}
.peer{background:#fff;border:1px solid #ddd;border-radius:8px;padding:.5rem 1rem}
.peer h3{margin:.2rem 0}
.machine{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;padding:0;margin:.25rem 0;font-size:.8rem}
.machine li{border:1px solid #bbb;border-radius:999px;padding:0 .5rem;color:#555}
.machine li[aria-current]{background:#0a5bd8;border-color:#0a5bd8;color:#fff;font-weight:600}
.state[data-state=p2p-connected]{color:#0b7a2b;font-weight:600}
.state[data-state=failed]{color:#b00020;font-weight:600}
.pair{font-family:ui-monospace,monospace;font-size:.8rem;word-break:break-all}
video{width:100%;max-height:12rem;background:#222;border-radius:6px}
#local-video{max-width:16rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
#chat-log{background:#fff;border:1px solid #ddd;border-radius:6px;min-height:4rem;max-height:14rem;overflow:auto;padding:.5rem 2rem}
`;

/** The page; `built` is false when the bundle is missing, and the page says how to build it. */
function demoPage(graphqlPath: string, built: boolean): string {
  const missing = built
    ? ''
    : `<p role="alert">The demo script is not built: run <code>npm run build</code> (npm start does it) and reload.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Switchboard demo</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/demo.css">
<script type="module" src="/demo.js"></script>
</head>
<body>
<header>
<h1>Switchboard</h1>
<p>A realtime GraphQL signaling gateway for WebRTC. Open this page in two tabs, join the same room, and
the two tabs call each other. API: <a href="${graphqlPath}">GraphiQL at ${graphqlPath}</a> ·
<a href="/healthz">/healthz</a> · <a href="/readyz">/readyz</a> · <a href="/metrics">/metrics</a></p>
${missing}
</header>
<main>
<form id="join" aria-labelledby="join-title">
<fieldset>
<legend id="join-title">Join a room</legend>
<label>Room <input name="room" value="demo" required pattern="[A-Za-z0-9_.\\-]{1,128}" autocomplete="off"></label>
<label>Your name <input name="name" maxlength="64" autocomplete="nickname"></label>
<button type="submit">Join</button>
</fieldset>
</form>
<p id="self" aria-live="polite"></p>
<p id="gateway-state" role="status" data-state="disconnected">Gateway: disconnected</p>
<p>
<button type="button" id="start-media" disabled>Start camera and microphone</button>
<button type="button" id="leave" disabled>Leave</button>
</p>
<video id="local-video" autoplay playsinline muted aria-label="your camera"></video>
<section aria-labelledby="peers-title">
<h2 id="peers-title">In the room</h2>
<ul id="peers"></ul>
</section>
<section aria-labelledby="chat-title">
<h2 id="chat-title">Chat (data channel, peer to peer)</h2>
<ol id="chat-log" aria-live="polite"></ol>
<form id="chat">
<fieldset disabled>
<legend class="visually-hidden">Send a message</legend>
<label>Message <input name="message" maxlength="500" autocomplete="off"></label>
<button type="submit">Send</button>
</fieldset>
</form>
</section>
</main>
</body>
</html>
`;
}
