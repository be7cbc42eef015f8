import type { Session, Signal } from '../../client/types';
import type { ChildGateway } from './child-gateway';
import { createSession, wsPeer, type WsPeer } from './clients';
import type { Inbox } from './inbox';

/** What a test needs of a gateway, in-process or a child process: its two URLs. */
export interface Instance {
  httpUrl: string;
  wsUrl: string;
}

export interface SubscribedPeer {
  token: string;
  socket: WsPeer;
  events: Inbox<Signal>;
}

/**
 * A peer with a guest session (or the given one) subscribed on `instance`, once its Welcome is in;
 * its socket is pushed to `sockets` for the suite to dispose.
 */
export async function subscribedPeer(instance: Instance, room: string, id: string, sockets: WsPeer[], session?: Session): Promise<SubscribedPeer> {
  const { token } = session ?? (await createSession(instance.httpUrl, room, id, id.toUpperCase()));
  const socket = wsPeer(instance.wsUrl, token);
  sockets.push(socket);
  const { events } = socket.signals();
  await events.nextWhere((e) => e.__typename === 'Welcome');
  return { token, socket, events };
}

/** The two gateways of a `sharedRedisSuite(2)`, inside a test. */
export function twoInstances(instances: () => ChildGateway[]): [ChildGateway, ChildGateway] {
  const [one, two] = instances();
  if (!one || !two) throw new Error('two instances expected');
  return [one, two];
}
