import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, VARIABLES } from '../src/config';

const root = join(__dirname, '..');

describe('configuration', () => {
  it('has working defaults for development', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 4000, host: '0.0.0.0', guestSessions: true, graceMs: 10_000, signalingSecretGenerated: true });
  });

  it.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['REDIS_URL', { REDIS_URL: 'http://nope' }],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: '127.0.0.1:7000,nope' }],
    ['REDIS_URL, REDIS_CLUSTER_NODES', { REDIS_URL: 'redis://a', REDIS_CLUSTER_NODES: 'a:7000' }],
    ['REDIS_SENTINELS and REDIS_SENTINEL_NAME', { REDIS_SENTINELS: 'a:26379' }],
    ['REDIS_WAIT_REPLICAS', { REDIS_WAIT_REPLICAS: 'all' }],
    ['GRACE_MS', { GRACE_MS: '-5' }],
    ['GUEST_SESSIONS', { GUEST_SESSIONS: 'maybe' }],
    ['SIGNALING_SECRET', { SIGNALING_SECRET: 'short' }],
    ['STUN_URLS', { STUN_URLS: 'http://stun.example' }],
    ['SIGNALING_SECRET', { NODE_ENV: 'production' }],
  ])('names %s when it is bad', (name, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${name}`));
  });

  it('turns tracing on only through the OTEL_* variables; OTEL_SDK_DISABLED and none win', () => {
    expect(loadConfig({}).tracing).toBeNull();
    expect(loadConfig({ OTEL_SERVICE_NAME: 'x' }).tracing).toBeNull();
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing).toEqual({ serviceName: 'switchboard', exporter: { kind: 'otlp', url: 'http://localhost:4318/v1/traces' } });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing?.exporter).toEqual({ kind: 'otlp', url: 'http://collector:4318/v1/traces' });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:4318/traces' }).tracing?.exporter).toEqual({ kind: 'otlp', url: 'http://t:4318/traces' });
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'console', OTEL_SERVICE_NAME: 'edge' }).tracing).toEqual({ serviceName: 'edge', exporter: { kind: 'console' } });
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }).tracing).toBeNull();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeNull();
    expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/^OTEL_TRACES_EXPORTER/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://c' })).toThrow(/^OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it('reads one Redis topology: a URL, Cluster seeds, or Sentinels with the master name', () => {
    expect(loadConfig({ REDIS_URL: 'redis://r:6380' }).redis).toEqual({ kind: 'single', url: 'redis://r:6380' });
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:7000, b:7001' }).redis).toEqual({ kind: 'cluster', nodes: [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }] });
    expect(loadConfig({ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'sb', REDIS_WAIT_REPLICAS: '1' })).toMatchObject({
      redis: { kind: 'sentinel', sentinels: [{ host: 's', port: 26379 }], name: 'sb' },
      redisWaitReplicas: 1,
    });
    expect(loadConfig({}).redis).toBeUndefined();
  });

  it('production turns guest sessions off', () => {
    expect(loadConfig({ NODE_ENV: 'production', SIGNALING_SECRET: 'x'.repeat(32) }).guestSessions).toBe(false);
  });

  it.each([
    ['PORT', 'not-a-port'],
    ['REDIS_URL', 'localhost:6379'],
  ])('npm start stops with one line naming a bad %s', (name, value) => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'main.ts')], {
      cwd: root,
      env: { ...process.env, [name]: value },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^switchboard: ${name}=".*" is invalid`))]);
  });

  it('documents every variable in .env.example and --help', () => {
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const help = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'main.ts'), '--help'], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    for (const v of VARIABLES) {
      expect(example).toMatch(new RegExp(`^#? ?${v.name}=`, 'm'));
      expect(help.stdout).toContain(v.name);
    }
  });
});
