import type { Browser } from 'playwright-core';
import { CREATE_SESSION } from '../client/operations';
import { isLocal, launchChromium } from './helpers/browser';
import { startGateway, type TestGateway } from './helpers/gateway';

describe('GraphiQL in Chromium', () => {
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    gw = await startGateway();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
    await gw.close();
  });

  it('loads with every non-loopback request blocked and runs createSession', async () => {
    const page = await browser.newPage();
    const blocked: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (isLocal(url)) return route.continue();
      blocked.push(url);
      return route.abort('internetdisconnected');
    });
    const query = CREATE_SESSION.replace('$room: ID!, $peerId: ID, $name: String', '').replace('(room: $room, peerId: $peerId, name: $name)', '(room: "graphiql", name: "from-chromium")').replace('CreateSession()', 'CreateSession');
    await page.goto(`${gw.httpUrl}?query=${encodeURIComponent(query)}`);
    await page.locator('.graphiql-execute-button').click({ timeout: 15_000 });
    const result = page.locator('.result-window');
    await result.getByText('"token"').waitFor({ timeout: 15_000 });
    const text = await result.innerText();
    expect(text).toMatch(/"room":\s*"graphiql"/);
    await page.screenshot({ path: 'test/artifacts/graphiql.png' });
    expect(blocked).toEqual([]);
    await page.close();
  });

  it('opens with the flow as example tabs, in the order a client runs it', async () => {
    const page = await browser.newPage();
    await page.route('**/*', (route) => (isLocal(route.request().url()) ? route.continue() : route.abort('internetdisconnected')));
    await page.goto(gw.httpUrl);
    const tabs = page.locator('.graphiql-tab');
    await tabs.first().waitFor({ timeout: 15_000 });
    const names = await tabs.allInnerTexts();
    expect(names.map((name) => name.trim())).toEqual(['CreateSession', 'Signals', 'SendOffer', 'SendIceCandidate', 'Peers', 'LeaveRoom']);
    await page.close();
  });
});
