import { wsPeer, type WsPeer } from './clients';
import { startGateway, type TestGateway } from './gateway';

export interface GatewaySuite {
  /** The suite's gateway (started in beforeAll). */
  gw(): TestGateway;
  /** A graphql-ws client on the suite's gateway, disposed after the suite. */
  open(token: string | undefined): WsPeer;
}

/** Registers beforeAll/afterAll that start one gateway for a describe block and clean up its sockets. */
export function gatewaySuite(env: Record<string, string> = {}): GatewaySuite {
  let gateway: TestGateway | null = null;
  const sockets: WsPeer[] = [];
  beforeAll(async () => {
    gateway = await startGateway(env);
  });
  afterAll(async () => {
    await Promise.all(sockets.splice(0).map((s) => s.dispose()));
    await gateway?.close();
  });
  const gw = (): TestGateway => {
    if (!gateway) throw new Error('gateway not started: use gw() inside a test');
    return gateway;
  };
  return {
    gw,
    open: (token) => {
      const peer = wsPeer(gw().wsUrl, token);
      sockets.push(peer);
      return peer;
    },
  };
}
