import type { Core } from '../core';
import { attachPeerjs } from './peerjs/peerjs';
import type { SideTransport } from './side-transport';
import { attachSocketIo } from './socket-io/socket-io';
import type { UpgradeGate } from './upgrade';

/** The transports beside GraphQL, each a thin adapter over the signalling core (api/signaling.ts). */
export function attachSideTransports(gate: UpgradeGate, core: Core): SideTransport[] {
  const peerjs = core.config.peerjs;
  return peerjs === null ? [attachSocketIo(gate, core)] : [attachSocketIo(gate, core), attachPeerjs(gate, core, peerjs)];
}
