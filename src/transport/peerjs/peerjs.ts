import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { limited } from '../../api/limited';
import { brokered } from '../../api/broker-call';
import { openSignals, observeDelivery, relay } from '../../api/signaling';
import { KeySourceUnavailableError, TokenError, type Identity } from '../../auth/tokens';
import type { Feed } from '../../broker/feed';
import type { PeerjsConfig } from '../../config';
import type { Core } from '../../core';
import type { DirectSignal } from '../../events';
import { codedError, refusal } from '../../errors';
import { clientIp } from '../../limits/client-ip';
import { peerKey } from '../../presence/presence';
import {
  CloseCode,
  ErrorCode,
  ID_PATTERN,
  MAX_PEERJS_EARLY_MESSAGES,
  MAX_PEERJS_TOKEN_CHARS,
  MAX_WS_PAYLOAD_BYTES,
  PEERJS_SOCKET_SEGMENT,
  PeerjsMessageType,
  SEND_HIGH_WATER_BYTES,
  SignalKind,
} from '../../protocol';
import { wsContext } from '../context';
import { drainSockets } from '../drain';
import { keepAlive } from '../keepalive';
import { OrderedSends } from '../ordered-sends';
import { WsSession } from '../session';
import type { SideTransport } from '../side-transport';
import type { UpgradeGate } from '../upgrade';
import { KEEPALIVE_MS } from '../ws-adapter';
import { HeldSignals } from './held-signals';
import { type PeerjsMessage, outgoing, parseIncoming } from './messages';

/** Sends of one PeerJS socket waiting for the core; past it the socket floods (as on Socket.IO). */
const MAX_SENDS_IN_FLIGHT = 32;
const PRINTABLE = /^[\x21-\x7e]+$/;

/** Why a PeerJS socket is turned away before it opens: the message type its client understands, and a line. */
class Turnaway extends Error {
  constructor(
    readonly type: typeof PeerjsMessageType.Error | typeof PeerjsMessageType.IdTaken | typeof PeerjsMessageType.InvalidKey,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

function send(socket: WebSocket, message: PeerjsMessage): Promise<void> | void {
  if (socket.readyState !== socket.OPEN) return;
  const data = JSON.stringify(message);
  if (socket.bufferedAmount < SEND_HIGH_WATER_BYTES) return socket.send(data);
  return new Promise<void>((resolve) => socket.send(data, () => resolve()));
}

/**
 * The PeerJS protocol at `config.path` (DESIGN §4b): `GET {path}/{key}/id`, `GET {path}/{key}/peers`
 * (with discovery) and the WebSocket `{path}/peerjs?key=&id=&token=`. A key is a room and an id a
 * peer id, under Switchboard's id rules; the socket is the peer's connection, its signals go through
 * the signalling core (validators, rate limits, the broker: peers on other instances are reached), and
 * its feed's direct signals come back as OFFER/ANSWER/CANDIDATE with `src`, a departure as LEAVE.
 */
export function attachPeerjs(gate: UpgradeGate, core: Core, config: PeerjsConfig): SideTransport {
  const log = core.log.child({ component: 'peerjs' });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_PAYLOAD_BYTES });
  const stopKeepAlive = keepAlive(wss, KEEPALIVE_MS);
  const live = new WeakSet<WebSocket>();
  gate.route(`${config.path}/${PEERJS_SOCKET_SEGMENT}`, (request, socket, head) =>
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('error', (error) => log.debug({ err: error }, 'PeerJS socket closed on a socket error'));
      void serveSocket(ws, request);
    }),
  );

  /** The identity a PeerJS socket speaks for: its session token's, or (tokens not required) its id's under its own PeerJS token. */
  const identify = async (room: string, id: string, token: string): Promise<Identity> => {
    if (config.requireToken) {
      let identity: Identity;
      try {
        identity = await core.tokens.verify(token);
      } catch (error) {
        if (error instanceof TokenError) throw new Turnaway(PeerjsMessageType.Error, `token refused: ${error.message}`, error.code);
        if (error instanceof KeySourceUnavailableError) throw new Turnaway(PeerjsMessageType.Error, 'the token could not be checked now; reconnect shortly', ErrorCode.Unavailable);
        throw error;
      }
      if (identity.peerId !== id || identity.room !== room) throw new Turnaway(PeerjsMessageType.Error, 'the token is for another id or key (room)', ErrorCode.Forbidden);
      return identity;
    }
    if (token.length > MAX_PEERJS_TOKEN_CHARS || !PRINTABLE.test(token)) throw new Turnaway(PeerjsMessageType.Error, 'token must be printable and short', ErrorCode.BadUserInput);
    // A PeerJS id is first come, first served, as on peerjs-server: a client that comes back with its
    // own token is the same session; another token while the id is in the room cannot take it over
    // (startedAtMs 0 is never newer than the holder), one for an id that left starts a new session.
    const roster = await brokered(core.broker.roster(room));
    const held = roster.some((peer) => peer.id === id);
    const sessionId = `peerjs-${createHash('sha256').update(`${room}\n${id}\n${token}`).digest('base64url').slice(0, 22)}`;
    const now = Date.now();
    return { peerId: id, room, name: null, exp: Math.floor(now / 1000) + core.config.sessionMaxAgeS, sessionStart: Math.floor(now / 1000), session: { id: sessionId, startedAtMs: held ? 0 : now } };
  };

  const serveSocket = async (ws: WebSocket, request: IncomingMessage): Promise<void> => {
    // Frames that come before the session is set up wait for it (a PeerJS client sends its queue on open).
    const early: string[] = [];
    let onText: (text: string) => void = (text) => {
      if (early.push(text) > MAX_PEERJS_EARLY_MESSAGES) ws.close(CloseCode.Flooding, 'flooding: too many messages before OPEN');
    };
    ws.on('message', (data) => onText(String(data)));
    const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
    const [room, id, token] = [query.get('key'), query.get('id'), query.get('token')];
    let feed: Feed;
    let session: WsSession;
    try {
      if (!room || !id || !token) throw new Turnaway(PeerjsMessageType.Error, 'No id, token, or key supplied to websocket server', ErrorCode.BadUserInput);
      if (!ID_PATTERN.test(room)) throw new Turnaway(PeerjsMessageType.InvalidKey, `the key is a room id and must match ${ID_PATTERN.source}`, ErrorCode.BadUserInput);
      if (!ID_PATTERN.test(id)) throw new Turnaway(PeerjsMessageType.Error, `the id must match ${ID_PATTERN.source}`, ErrorCode.BadUserInput);
      const identity = await identify(room, id, token);
      session = new WsSession({ close: (code, reason) => ws.close(code, reason) }, identity, clientIp(request, core.config.trustProxy), core.connections);
      const ctx = wsContext(core, session, 'peerjs');
      // A tokenless PeerJS socket starts a session as a guest's createSession does: the same per-IP limit.
      if (!config.requireToken) await limited(ctx, 'sessions', session.clientIp);
      try {
        feed = await openSignals(ctx, null);
      } catch (error) {
        if (codedError(error)?.code === ErrorCode.Forbidden) throw new Turnaway(PeerjsMessageType.IdTaken, 'ID is taken', ErrorCode.PeerIdTaken);
        throw error;
      }
    } catch (error) {
      const turned = error instanceof Turnaway ? error : null;
      const coded = turned ? { code: turned.code, message: turned.message } : codedError(error);
      if (coded === null) log.error({ err: error }, 'PeerJS socket could not be set up');
      const type = turned?.type ?? PeerjsMessageType.Error;
      const { code, message } = coded ?? { code: ErrorCode.Unavailable, message: 'the connection could not be set up; retry shortly' };
      await send(ws, { type, payload: { msg: message, code } });
      ws.close();
      return;
    }
    const key = peerKey(session.identity.room, session.identity.peerId);
    const self = session.identity.peerId;
    const held = new HeldSignals(config.expireMs, (peer) => void send(ws, { type: PeerjsMessageType.Expire, src: peer, dst: self }));
    const sends = new OrderedSends(MAX_SENDS_IN_FLIGHT);
    const ended = (): void => {
      void feed.return();
      held.clear();
      core.connections.unregister(key, session.handle);
    };
    if (ws.readyState !== ws.OPEN) return ended();
    ws.once('close', ended);
    core.connections.register(key, session.handle, CloseCode.Replaced, 'replaced by a newer connection');
    live.add(ws);
    const refuse = (error: unknown): void => {
      const coded = codedError(error);
      if (coded === null) log.error({ err: error }, 'PeerJS message failed');
      const { code, message } = coded ?? { code: ErrorCode.Unavailable, message: 'the signal could not be accepted; nothing was stored, retry shortly' };
      void send(ws, { type: PeerjsMessageType.Error, payload: { msg: `${code}: ${message}`, code } });
    };
    const relayed = (signal: DirectSignal): Promise<void> =>
      relay(wsContext(core, session, 'peerjs'), signal, null).then(
        () => undefined,
        (error: unknown) => {
          if (codedError(error)?.code !== ErrorCode.PeerNotFound) return refuse(error);
          // Not in the room (yet): held until it appears, or EXPIRE.
          if (!held.hold(signal.to, () => void sends.enqueue(() => relayed(signal)))) void send(ws, { type: PeerjsMessageType.Expire, src: signal.to, dst: self });
        },
      );
    const handle = (text: string): void => {
      let incoming;
      try {
        incoming = parseIncoming(text, self);
      } catch (error) {
        return refuse(error);
      }
      if (incoming.kind === 'ignored') return;
      if (incoming.kind === 'leave') {
        // LEAVE without dst: the client is leaving the server. A LEAVE for one peer is not carried (see README).
        if (incoming.dst === null) ws.close(1000, 'left');
        return;
      }
      const { signal } = incoming;
      if (!sends.enqueue(() => relayed(signal))) {
        session.handle.refused?.();
        refuse(refusal(ErrorCode.RateLimited, `at most ${MAX_SENDS_IN_FLIGHT} signals in flight per socket`));
      }
    };
    onText = handle;
    await send(ws, { type: PeerjsMessageType.Open });
    for (const text of early.splice(0)) handle(text);

    for (;;) {
      const next = await feed.next();
      if (next.done) break;
      const event = next.value;
      if (event.kind === SignalKind.PeerConnected) held.appeared(event.peer.id);
      else if (event.kind === SignalKind.PeerDisconnected) await send(ws, { type: PeerjsMessageType.Leave, src: event.peer.id, dst: self });
      const message = outgoing(event);
      if (message === null) continue;
      observeDelivery(wsContext(core, session, 'peerjs'), event);
      await send(ws, message);
    }
  };

  const answer = (res: ServerResponse, status: number, type: string, body: string): void => {
    const origin = core.config.allowedOrigins.length === 0 ? '*' : null;
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...(origin ? { 'access-control-allow-origin': origin } : {}) });
    res.end(body);
  };

  return {
    serve: (req, res, path) => {
      if (path !== config.path && !path.startsWith(`${config.path}/`)) return false;
      const [room, what, ...rest] = path.slice(config.path.length + 1).split('/');
      if (req.method !== 'GET' || room === undefined || room === '' || rest.length > 0) {
        answer(res, 200, 'application/json', JSON.stringify({ name: 'Switchboard PeerJS protocol', endpoints: [`${config.path}/{key}/id`, `${config.path}/{key}/peers`, `${config.path}/peerjs`] }));
        return true;
      }
      if (!ID_PATTERN.test(room)) {
        answer(res, 401, 'application/json', JSON.stringify({ error: { code: ErrorCode.BadUserInput, message: `the key is a room id and must match ${ID_PATTERN.source}` } }));
        return true;
      }
      if (what === 'id') {
        answer(res, 200, 'text/plain; charset=utf-8', randomUUID());
        return true;
      }
      if (what === 'peers' && config.discovery) {
        brokered(core.broker.roster(room)).then(
          (roster) => answer(res, 200, 'application/json', JSON.stringify(roster.map((peer) => peer.id))),
          () => answer(res, 503, 'application/json', JSON.stringify({ error: { code: ErrorCode.Unavailable, message: 'the broker is unavailable; retry shortly' } })),
        );
        return true;
      }
      answer(res, what === 'peers' ? 401 : 404, 'application/json', JSON.stringify({ error: { code: ErrorCode.Forbidden, message: what === 'peers' ? 'discovery is off (PEERJS_DISCOVERY)' : 'not found' } }));
      return true;
    },
    drain: async (timeoutMs) => {
      await drainSockets(wss, (client) => live.has(client), timeoutMs);
      stopKeepAlive();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
