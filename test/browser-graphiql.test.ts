import type { Browser, Page } from 'playwright-core';
import { CREATE_SESSION } from '../client/operations';
import { isLocal, launchChromium } from './helpers/browser';
import { startGateway, type TestGateway } from './helpers/gateway';

/**
 * Selects GraphiQL's tab `index` (its tab strip animates, so the tab's own button is clicked by id) and
 * waits until its editor shows `operation`: ▶ runs what the editor holds, which follows the tab a moment later.
 */
async function openTab(page: Page, index: number, operation: string): Promise<void> {
  await page.locator(`#graphiql-session-tab-${index}`).dispatchEvent('click');
  await page.locator(`li:has(#graphiql-session-tab-${index})[aria-selected="true"]`).waitFor({ timeout: 15_000 });
  await page.locator('.graphiql-query-editor', { hasText: operation }).waitFor({ timeout: 15_000 });
}

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
    await result.getByText('"token"').waitFor({ timeout: 30_000 });
    const text = await result.innerText();
    expect(text).toMatch(/"room":\s*"graphiql"/);
    await page.screenshot({ path: 'test/artifacts/graphiql.png' });
    expect(blocked).toEqual([]);
    await page.close();
  }, 90_000);

  it('opens with the flow as example tabs, in the order a client runs it, each running as shipped', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.route('**/*', (route) => (isLocal(route.request().url()) ? route.continue() : route.abort('internetdisconnected')));
    await page.goto(gw.httpUrl);
    const tabs = page.locator('.graphiql-tab');
    await tabs.first().waitFor({ timeout: 30_000 });
    const names = await tabs.allInnerTexts();
    expect(names.map((name) => name.trim())).toEqual(['CreateSession', 'Signals', 'SendOffer', 'SendIceCandidate', 'Peers', 'LeaveRoom']);

    // The first ▶, as shipped, mints a token (its Variables pane is filled, not empty).
    const result = page.locator('.result-window');
    await page.locator('.graphiql-execute-button').click();
    await result.getByText('"token"').waitFor({ timeout: 30_000 });
    expect(await result.innerText()).toMatch(/"room":\s*"demo"/);

    // Tab 5 (peers) answers with data, not a variable or token error (run before tab 2's subscription,
    // which keeps GraphiQL's one ▶ busy as its stop button).
    await openTab(page, 4, 'query Peers');
    await page.locator('.graphiql-execute-button').click();
    await result.getByText('"peers"').waitFor({ timeout: 30_000 });
    expect(await result.innerText()).not.toMatch(/"errors"/);

    // Tab 2 carries a real token in its Headers pane: its subscription opens with Welcome.
    await openTab(page, 1, 'subscription Signals');
    await page.locator('.graphiql-execute-button').click();
    await result
      .getByText('"Welcome"')
      .waitFor({ timeout: 30_000 })
      .catch(async (error: unknown) => {
        await page.screenshot({ path: 'test/artifacts/graphiql-signals-failed.png' });
        throw new Error(`${String(error)}\nresult pane: ${await result.innerText()}`);
      });
    expect(await result.innerText()).not.toMatch(/"errors"/);
    await page.screenshot({ path: 'test/artifacts/graphiql-signals.png' });
    await context.close();
  }, 90_000);
});
