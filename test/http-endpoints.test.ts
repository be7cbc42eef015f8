import { startGateway, type TestGateway } from './helpers/gateway';

describe('HTTP endpoints', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('serves /healthz, /readyz, the demo page and 404s elsewhere', async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ broker: 'ready' });
    const page = await fetch(`${gw.url}/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('Switchboard');
    expect((await fetch(`${gw.url}/nope`)).status).toBe(404);
    // Browsers ask for it on every page of the origin (the demo, GraphiQL): an icon, not a 404.
    const icon = await fetch(`${gw.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(await icon.text()).toMatch(/^<svg /);
  });

  it('serves GraphiQL on a browser GET of /graphql', async () => {
    const res = await fetch(gw.httpUrl, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<title>Switchboard</title>');
    // The offline renderer inlines GraphiQL instead of loading it from a CDN.
    expect(html).not.toMatch(/unpkg\.com|jsdelivr/);
  });
});
