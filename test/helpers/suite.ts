import { ChildGateway } from './child-gateway';
import { wsPeer, type WsPeer } from './clients';
import { startGateway, type TestGateway } from './gateway';
import { TestRedis } from './redis';

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

/**
 * Registers beforeAll/afterAll that start a private Redis and `count` gateways (child processes)
 * sharing it; the returned function gives the gateways inside a test.
 */
export function sharedRedisSuite(count = 2, env: Record<string, string> = {}): () => ChildGateway[] {
  let redis: TestRedis | null = null;
  let gateways: ChildGateway[] = [];
  beforeAll(async () => {
    const started = await TestRedis.start();
    redis = started;
    gateways = await Promise.all(Array.from({ length: count }, () => ChildGateway.start({ ...env, REDIS_URL: started.url })));
  });
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await redis?.kill();
  });
  return () => {
    if (gateways.length < count) throw new Error('gateways not started: use the suite inside a test');
    return gateways;
  };
}
