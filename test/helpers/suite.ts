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
 * sharing it, with `env` added to theirs (a function: read when they start, after earlier
 * beforeAll hooks); the returned function gives the gateways inside a test.
 */
export function sharedRedisSuite(count = 2, env: Record<string, string> | (() => Record<string, string>) = {}): () => ChildGateway[] {
  let redis: TestRedis | null = null;
  let gateways: ChildGateway[] = [];
  beforeAll(async () => {
    const started = await TestRedis.start();
    redis = started;
    gateways = await Promise.all(Array.from({ length: count }, () => ChildGateway.start({ ...(typeof env === 'function' ? env() : env), REDIS_URL: started.url })));
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

export interface ChildGatewaySuite {
  /** Gateway `i` of the suite (started in beforeAll). */
  gw(i: number): ChildGateway;
  /** A graphql-ws client on `gateway`, disposed after each test. */
  open(gateway: ChildGateway, token: string): WsPeer;
}

/**
 * Registers hooks that start `count` gateways as child processes with the environment `env()` gives
 * once beforeAll runs (the Redis it names is started by an earlier hook), dispose each test's
 * sockets after it, and kill the gateways after the describe block.
 */
export function childGatewaySuite(count: number, env: () => Record<string, string>): ChildGatewaySuite {
  let gateways: ChildGateway[] = [];
  const sockets: WsPeer[] = [];
  beforeAll(async () => {
    gateways = await Promise.all(Array.from({ length: count }, () => ChildGateway.start(env())));
  }, 60_000);
  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((s) => s.dispose()));
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop('SIGKILL')));
  });
  return {
    gw: (i) => {
      const gateway = gateways[i];
      if (!gateway) throw new Error(`no gateway ${i}: use the suite inside a test`);
      return gateway;
    },
    open: (gateway, token) => {
      const peer = wsPeer(gateway.wsUrl, token);
      sockets.push(peer);
      return peer;
    },
  };
}
