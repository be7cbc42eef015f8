import { WebSocketServer, type WebSocket } from 'ws';
import type { Core } from '../core';
import { clientIp } from '../limits/client-ip';
import { MAX_WS_PAYLOAD_BYTES } from '../protocol';
import { DocumentCache } from './documents';
import { drainSockets } from './drain';
import type { WsSession } from './session';
import type { UpgradeGate } from './upgrade';
import { serveGraphqlWs } from './ws-adapter';
import { type Enveloped, protocolServer } from './ws-hooks';

export type { Enveloped } from './ws-hooks';

/** graphql-ws on the gateway's HTTP server, on `path`. */
export interface WebSocketTransport {
  /** Waits up to `timeoutMs` for every socket to close (they were told 1001), then cuts the rest. */
  drain(timeoutMs: number): Promise<void>;
}

/**
 * Puts the WebSocket transport together: the upgrade gate (upgrade.ts), graphql-ws's protocol server
 * with the gateway's hooks (ws-hooks.ts), each socket's session (session.ts), and the adapter that runs
 * the protocol server on `ws` sockets (ws-adapter.ts).
 */
export function attachWebSocket(gate: UpgradeGate, core: Core, yoga: Enveloped, path: string, options: { sharePresence: boolean }): WebSocketTransport {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_PAYLOAD_BYTES });
  const sessions = new WeakMap<WebSocket, WsSession>();
  gate.route(path, (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request)));
  const [hit, miss] = [core.metrics.wsDocuments.labels('hit'), core.metrics.wsDocuments.labels('miss')];
  const documents = new DocumentCache((found) => (found ? hit : miss).inc());
  const adapter = serveGraphqlWs(wss, protocolServer({ core, yoga, sessions, documents, sharePresence: options.sharePresence }), {
    log: core.log.child({ component: 'ws' }),
    clientIp: (request) => clientIp(request, core.config.trustProxy),
  });

  return {
    drain: async (timeoutMs: number) => {
      await drainSockets(wss, (client) => sessions.has(client), timeoutMs);
      adapter.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
