/**
 * The demo page's script, bundled by `npm run build` into dist/web/demo.js. It uses only the SDK's
 * public API: join a room as a guest, keep one peer session per remote peer (a shared `chat` data
 * channel on each, camera and microphone once started), and show every session's state as it moves.
 */
import {
  createGuestSession,
  createPeerSession,
  createSignalingClient,
  type ConnectionState,
  type IceServer,
  type PeerSession,
  type SignalingClient,
} from '@switchboard/client';

/** The seed's main line, drawn for each remote peer with the current state marked. */
const MAIN_LINE: readonly ConnectionState[] = ['disconnected', 'connecting', 'connected', 'signaling', 'ice-gathering', 'p2p-connected'];
/** How often the selected candidate pair is read from getStats. */
const STATS_INTERVAL_MS = 1_000;
/** Chat messages kept on screen. */
const MAX_CHAT_LINES = 200;
/** Longest chat message sent. */
const MAX_CHAT_CHARS = 500;
/** What survives a reload of this tab, so the page joins again by itself. */
const STORAGE_KEY = 'switchboard-demo';

interface Call {
  readonly session: PeerSession<RTCPeerConnection>;
  /** The chat channel, once this side opened it or the caller's arrived. */
  chat: RTCDataChannel | null;
  readonly tile: HTMLElement;
  readonly stats: ReturnType<typeof setInterval>;
  readonly name: string;
}

const graphqlUrl = new URL('/graphql', location.href).href;
const calls = new Map<string, Call>();
let client: SignalingClient | null = null;
let iceServers: IceServer[] = [];
let localStream: MediaStream | null = null;

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page lacks #${id}`);
  return found;
}

const joinForm = element('join', HTMLFormElement);
const chatForm = element('chat', HTMLFormElement);
const chatLog = element('chat-log', HTMLOListElement);
const roster = element('peers', HTMLUListElement);
const gatewayState = element('gateway-state', HTMLElement);
const mediaButton = element('start-media', HTMLButtonElement);
const leaveButton = element('leave', HTMLButtonElement);
const localVideo = element('local-video', HTMLVideoElement);
const selfLabel = element('self', HTMLElement);

function say(line: string, from: string): void {
  const item = document.createElement('li');
  const who = document.createElement('strong');
  who.textContent = `${from}: `;
  item.append(who, line);
  chatLog.append(item);
  while (chatLog.children.length > MAX_CHAT_LINES) chatLog.firstElementChild?.remove();
}

function showGatewayState(state: ConnectionState): void {
  gatewayState.dataset['state'] = state;
  gatewayState.textContent = `Gateway: ${state}`;
}

function tileFor(peerId: string, name: string): HTMLElement {
  const tile = document.createElement('li');
  tile.className = 'peer';
  tile.dataset['peer'] = peerId;
  const heading = document.createElement('h3');
  heading.textContent = name === peerId ? peerId : `${name} (${peerId})`;
  const state = document.createElement('p');
  state.className = 'state';
  state.setAttribute('role', 'status');
  const line = document.createElement('ol');
  line.className = 'machine';
  line.setAttribute('aria-label', 'connection states');
  for (const step of MAIN_LINE) {
    const item = document.createElement('li');
    item.textContent = step;
    item.dataset['step'] = step;
    line.append(item);
  }
  const pair = document.createElement('p');
  pair.className = 'pair';
  pair.textContent = 'Candidate pair: none yet';
  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  video.setAttribute('aria-label', `video from ${name}`);
  tile.append(heading, state, line, pair, video);
  roster.append(tile);
  return tile;
}

function showSessionState(tile: HTMLElement, state: ConnectionState): void {
  const status = tile.querySelector<HTMLElement>('.state');
  if (status) {
    status.dataset['state'] = state;
    status.textContent = `State: ${state}`;
  }
  for (const step of tile.querySelectorAll<HTMLElement>('.machine li')) {
    if (step.dataset['step'] === state) step.setAttribute('aria-current', 'step');
    else step.removeAttribute('aria-current');
  }
}

/** The selected ICE candidate pair, as `host 127.0.0.1:50000 ⇄ host 127.0.0.1:50001 (udp)`. */
async function selectedPair(pc: RTCPeerConnection): Promise<string | null> {
  const reports = new Map<string, Record<string, unknown>>();
  (await pc.getStats()).forEach((report: Record<string, unknown>) => reports.set(String(report['id']), report));
  const transport = [...reports.values()].find((report) => report['type'] === 'transport');
  const selectedId = transport?.['selectedCandidatePairId'];
  const pair =
    typeof selectedId === 'string'
      ? reports.get(selectedId)
      : [...reports.values()].find((report) => report['type'] === 'candidate-pair' && report['nominated'] === true && report['state'] === 'succeeded');
  if (!pair) return null;
  const describe = (id: unknown): string => {
    const candidate = reports.get(String(id));
    if (!candidate) return '?';
    return `${String(candidate['candidateType'])} ${String(candidate['address'] ?? candidate['ip'])}:${String(candidate['port'])}`;
  };
  const local = reports.get(String(pair['localCandidateId']));
  return `${describe(pair['localCandidateId'])} ⇄ ${describe(pair['remoteCandidateId'])} (${String(local?.['protocol'] ?? '?')})`;
}

/**
 * Starts (or answers) the call with one peer. The newcomer calls everyone already in the room and
 * opens the chat channel; the others answer and take the channel from `datachannel`. One side opening
 * keeps the first negotiation free of glare; later renegotiations (media) may collide, and the SDK's
 * perfect negotiation sorts those out.
 */
function call(signaling: SignalingClient, peerId: string, name: string, caller: boolean): void {
  if (calls.has(peerId)) return;
  const peerConnection = new RTCPeerConnection({ iceServers: iceServers.map((server) => ({ ...server, urls: [...server.urls] })) });
  const session = createPeerSession(signaling, peerId, { peerConnection });
  const tile = tileFor(peerId, name);
  const entry: Call = { session, chat: null, tile, stats: setInterval(() => void showPair(peerConnection, tile), STATS_INTERVAL_MS), name };
  const useChannel = (chat: RTCDataChannel): void => {
    entry.chat = chat;
    tile.dataset['chat'] = chat.readyState === 'open' ? 'open' : 'connecting';
    chat.onopen = () => (tile.dataset['chat'] = 'open');
    chat.onclose = () => (tile.dataset['chat'] = 'closed');
    chat.onmessage = (event) => say(String(event.data).slice(0, MAX_CHAT_CHARS), name);
  };
  if (caller) useChannel(peerConnection.createDataChannel('chat'));
  peerConnection.ondatachannel = ({ channel }) => {
    if (channel.label === 'chat') useChannel(channel);
  };
  peerConnection.ontrack = ({ streams }) => {
    const video = tile.querySelector('video');
    if (video && streams[0]) video.srcObject = streams[0];
  };
  for (const track of localStream?.getTracks() ?? []) if (localStream) peerConnection.addTrack(track, localStream);
  showSessionState(tile, session.state);
  session.on('state', ({ state }) => showSessionState(tile, state));
  session.on('closed', () => {
    clearInterval(entry.stats);
    tile.remove();
    calls.delete(peerId);
  });
  calls.set(peerId, entry);
}

async function showPair(peerConnection: RTCPeerConnection, tile: HTMLElement): Promise<void> {
  const text = await selectedPair(peerConnection).catch(() => null);
  const pair = tile.querySelector('.pair');
  if (pair && text) pair.textContent = `Candidate pair: ${text}`;
}

async function join(room: string, name: string): Promise<void> {
  joinForm.querySelector('fieldset')?.setAttribute('disabled', '');
  const session = await createGuestSession({ url: graphqlUrl, room, ...(name ? { name } : {}) });
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ room, name }));
  const signaling = createSignalingClient({ url: graphqlUrl, token: session.token });
  client = signaling;
  selfLabel.textContent = `You are ${name || session.peerId} (${session.peerId}) in room ${room}`;
  showGatewayState(signaling.state);
  signaling.on('state', ({ state }) => showGatewayState(state));
  signaling.on('error', (error) => say(`${error.code}: ${error.message}`, 'gateway'));
  const names = new Map<string, string>();
  signaling.on('welcome', ({ peers }) => {
    for (const peer of peers) {
      names.set(peer.id, peer.name ?? peer.id);
      call(signaling, peer.id, peer.name ?? peer.id, true);
    }
  });
  signaling.on('peer-connected', ({ peer }) => names.set(peer.id, peer.name ?? peer.id));
  // A newcomer's call: answer it (the SDK keeps the offer for the session created here).
  signaling.on('offer', ({ from }) => call(signaling, from, names.get(from) ?? from, false));
  await signaling.ready();
  iceServers = await signaling.iceServers();
  chatForm.querySelector('fieldset')?.removeAttribute('disabled');
  mediaButton.disabled = false;
  leaveButton.disabled = false;
}

/** Camera and microphone, or a generated canvas stream when they are refused or absent. */
async function startMedia(): Promise<MediaStream> {
  try {
    return await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  } catch {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const context = canvas.getContext('2d');
    let frame = 0;
    const draw = (): void => {
      if (!context) return;
      frame += 1;
      context.fillStyle = `hsl(${frame % 360} 60% 45%)`;
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.fillStyle = '#fff';
      context.font = '24px system-ui';
      context.fillText(`no camera · ${new Date().toLocaleTimeString()}`, 16, 128);
      requestAnimationFrame(draw);
    };
    draw();
    return canvas.captureStream(15);
  }
}

joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const data = new FormData(joinForm);
  join(String(data.get('room') ?? 'demo'), String(data.get('name') ?? '')).catch((error: unknown) => {
    joinForm.querySelector('fieldset')?.removeAttribute('disabled');
    say(error instanceof Error ? error.message : String(error), 'page');
  });
});

chatForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const input = chatForm.elements.namedItem('message');
  if (!(input instanceof HTMLInputElement) || !input.value) return;
  const text = input.value.slice(0, MAX_CHAT_CHARS);
  let sent = 0;
  for (const { chat } of calls.values()) {
    if (chat?.readyState !== 'open') continue;
    chat.send(text);
    sent += 1;
  }
  say(sent > 0 ? text : `${text} (nobody to send to yet)`, 'me');
  input.value = '';
});

mediaButton.addEventListener('click', () => {
  mediaButton.disabled = true;
  startMedia().then(
    (stream) => {
      localStream = stream;
      localVideo.srcObject = stream;
      for (const { session } of calls.values()) for (const track of stream.getTracks()) session.peerConnection.addTrack(track, stream);
    },
    () => (mediaButton.disabled = false),
  );
});

leaveButton.addEventListener('click', () => {
  sessionStorage.removeItem(STORAGE_KEY);
  void client?.close().then(() => location.reload());
});

// A reload ends this page's peer: say so at once rather than leaving the others to wait for the grace.
addEventListener('pagehide', () => void client?.close());

const saved = sessionStorage.getItem(STORAGE_KEY);
const params = new URLSearchParams(location.search);
const roomInput = joinForm.elements.namedItem('room');
const nameInput = joinForm.elements.namedItem('name');
if (roomInput instanceof HTMLInputElement) roomInput.value = params.get('room') ?? roomInput.value;
if (nameInput instanceof HTMLInputElement) nameInput.value = params.get('name') ?? nameInput.value;
if (saved) {
  const { room, name } = JSON.parse(saved) as { room: string; name: string };
  void join(room, name).catch((error: unknown) => say(error instanceof Error ? error.message : String(error), 'page'));
}
