/**
 * The demo page's script, bundled by `npm run build` into dist/web/demo.js. It uses only the SDK's
 * public API: `joinRoom` as a guest (the SDK keeps the mesh, the chat data channels and the media),
 * and this file draws it: a tile per peer with its connection state as it moves, the chat, the camera.
 */
import { joinRoom, type ConnectionState, type Room, type RoomPeer } from '@switchboard/client';

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
const START_MEDIA = 'Start camera and microphone';
const STOP_MEDIA = 'Stop camera and microphone';

type Peer = RoomPeer<RTCPeerConnection>;

interface Tile {
  readonly peer: Peer;
  readonly element: HTMLElement;
  readonly stats: ReturnType<typeof setInterval>;
}

const graphqlUrl = new URL('/graphql', location.href).href;
const tiles = new Map<string, Tile>();
let room: Room<RTCPeerConnection> | null = null;
/** The camera this page started (and so may stop), published to every peer while it runs. */
let camera: MediaStream | null = null;

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

function addTile(peer: Peer): void {
  tiles.get(peer.id)?.element.remove();
  const name = peer.name ?? peer.id;
  const element = document.createElement('li');
  element.className = 'peer';
  element.dataset['peer'] = peer.id;
  const heading = document.createElement('h3');
  heading.textContent = name === peer.id ? peer.id : `${name} (${peer.id})`;
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
  if (peer.streams[0]) video.srcObject = peer.streams[0];
  element.append(heading, state, line, pair, video);
  roster.append(element);
  showSessionState(element, peer.state);
  peer.session.on('state', ({ state: now }) => showSessionState(element, now));
  tiles.set(peer.id, { peer, element, stats: setInterval(() => void showPair(peer.peerConnection, element), STATS_INTERVAL_MS) });
}

function removeTile(peer: Peer): void {
  const tile = tiles.get(peer.id);
  if (tile?.peer !== peer) return;
  clearInterval(tile.stats);
  tile.element.remove();
  tiles.delete(peer.id);
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

async function showPair(peerConnection: RTCPeerConnection, tile: HTMLElement): Promise<void> {
  const text = await selectedPair(peerConnection).catch(() => null);
  const pair = tile.querySelector('.pair');
  if (pair && text) pair.textContent = `Candidate pair: ${text}`;
}

async function join(roomName: string, name: string): Promise<void> {
  joinForm.querySelector('fieldset')?.setAttribute('disabled', '');
  const joined = await joinRoom<RTCPeerConnection>({ url: graphqlUrl, guest: { room: roomName, ...(name ? { name } : {}) } });
  room = joined;
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ room: roomName, name }));
  const showSelf = (): void => void (selfLabel.textContent = `You are ${name || joined.self.id} (${joined.self.id}) in room ${roomName}`);
  showSelf();
  showGatewayState(joined.state);
  joined.on('state', ({ state }) => {
    showGatewayState(state);
    if (state === 'connected') showSelf();
  });
  joined.on('error', (error) => say(`${error.code}: ${error.message}`, 'gateway'));
  for (const peer of joined.peers.values()) addTile(peer);
  joined.on('peer-joined', addTile);
  joined.on('peer-left', ({ peer }) => removeTile(peer));
  joined.on('track', ({ peer, streams }) => {
    const video = tiles.get(peer.id)?.element.querySelector('video');
    if (video && streams[0]) video.srcObject = streams[0];
  });
  joined.on('data', ({ from, data }) => say((typeof data === 'string' ? data : JSON.stringify(data)).slice(0, MAX_CHAT_CHARS), joined.peers.get(from)?.name ?? from));
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
    const stream = canvas.captureStream(15);
    let frame = 0;
    const draw = (): void => {
      // Stopping the stream's track ends the drawing too.
      if (!context || stream.getVideoTracks()[0]?.readyState === 'ended') return;
      frame += 1;
      context.fillStyle = `hsl(${frame % 360} 60% 45%)`;
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.fillStyle = '#fff';
      context.font = '24px system-ui';
      context.fillText(`no camera · ${new Date().toLocaleTimeString()}`, 16, 128);
      requestAnimationFrame(draw);
    };
    draw();
    return stream;
  }
}

function stopMedia(): void {
  if (!camera) return;
  room?.unpublish(camera);
  // The page started these tracks, so the page stops them (the SDK never stops a track it did not create).
  for (const track of camera.getTracks()) track.stop();
  camera = null;
  localVideo.srcObject = null;
  mediaButton.textContent = START_MEDIA;
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
  if (!(input instanceof HTMLInputElement) || !input.value || !room) return;
  const text = input.value.slice(0, MAX_CHAT_CHARS);
  const sent = room.broadcast(text);
  say(sent > 0 ? text : `${text} (nobody to send to yet)`, 'me');
  input.value = '';
});

mediaButton.addEventListener('click', () => {
  if (camera) return stopMedia();
  mediaButton.disabled = true;
  startMedia()
    .then((stream) => {
      camera = stream;
      localVideo.srcObject = stream;
      room?.publish(stream);
      mediaButton.textContent = STOP_MEDIA;
    })
    .catch((error: unknown) => say(error instanceof Error ? error.message : String(error), 'page'))
    .finally(() => (mediaButton.disabled = false));
});

leaveButton.addEventListener('click', () => {
  sessionStorage.removeItem(STORAGE_KEY);
  stopMedia();
  void room?.leave().then(() => location.reload());
});

// A reload ends this page's peer: say so at once rather than leaving the others to wait for the grace.
addEventListener('pagehide', () => void room?.leave());

const saved = sessionStorage.getItem(STORAGE_KEY);
const params = new URLSearchParams(location.search);
const roomInput = joinForm.elements.namedItem('room');
const nameInput = joinForm.elements.namedItem('name');
if (roomInput instanceof HTMLInputElement) roomInput.value = params.get('room') ?? roomInput.value;
if (nameInput instanceof HTMLInputElement) nameInput.value = params.get('name') ?? nameInput.value;
if (saved) {
  const { room: roomName, name } = JSON.parse(saved) as { room: string; name: string };
  void join(roomName, name).catch((error: unknown) => say(error instanceof Error ? error.message : String(error), 'page'));
}
