import type { Core } from '../core';
import type { SideTransport } from './side-transport';
import { attachSocketIo } from './socket-io/socket-io';
import type { UpgradeGate } from './upgrade';

/** The transports beside GraphQL, each a thin adapter over the signalling core (api/signaling.ts). */
export function attachSideTransports(gate: UpgradeGate, core: Core): SideTransport[] {
  return [attachSocketIo(gate, core)];
}
