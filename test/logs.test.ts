/** What an operator's log collector and a developer's terminal each get from `switchboard start`. */
import { ChildGateway } from './helpers/child-gateway';

const PRODUCTION = { NODE_ENV: 'production', LOG_LEVEL: 'debug' };

describe('the gateway process', () => {
  test('in production, stdout carries JSON only, there is no banner, and no demo page at /', async () => {
    const gateway = await ChildGateway.start(PRODUCTION);
    try {
      expect((await fetch(`${gateway.url}/`)).status).toBe(404);
      const refused = await fetch(gateway.httpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"mutation { createSession(room: \\"r\\") { token } }"}' });
      expect(JSON.stringify(await refused.json())).toContain('FORBIDDEN');
    } finally {
      await gateway.stop();
    }
    expect(gateway.logs.length).toBeGreaterThan(2);
    for (const line of gateway.logs) expect(() => JSON.parse(line)).not.toThrow();
    expect(gateway.stderr).not.toContain('Switchboard ready');
    const listening = gateway.logs.map((line) => JSON.parse(line) as { msg?: string; graphiql?: boolean; demoPage?: boolean }).find((entry) => entry.msg === 'switchboard listening');
    expect(listening).toMatchObject({ graphiql: false, demoPage: false });
  }, 60_000);

  test('in development, the banner goes to stderr (stdout stays JSON) and names only what is served', async () => {
    const gateway = await ChildGateway.start({ DEMO_PAGE: 'false' });
    // SIGTERM the moment it says it listens: its handlers are already in place, so the stop is graceful.
    expect(await gateway.stop()).toBe(0);
    for (const line of gateway.logs) expect(() => JSON.parse(line)).not.toThrow();
    expect(gateway.stderr).toContain('Switchboard ready');
    expect(gateway.stderr).toContain('(GraphiQL in a browser)');
    expect(gateway.stderr).not.toContain('Demo');
  }, 60_000);
});
