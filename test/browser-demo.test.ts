import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { buildDemo } from '../scripts/build-web';
import { launchChromium } from './helpers/browser';
import { chat, connectedTo, openDemo, PAGE_STEP_TIMEOUT_MS, tileOf } from './helpers/demo-page';
import { startGateway, type TestGateway } from './helpers/gateway';
import { sharedRedisSuite } from './helpers/suite';
import { dataFrom, weriftRoom } from './helpers/room';

const ARTIFACTS = 'test/artifacts';

let browser: Browser;
const pages: Page[] = [];
async function openOn(origin: string, room: string, name: string): Promise<Page> {
  const page = await openDemo(browser, origin, room, name);
  pages.push(page);
  return page;
}

beforeAll(async () => {
  [browser] = await Promise.all([launchChromium(), buildDemo(), mkdir(ARTIFACTS, { recursive: true })]);
});
afterEach(async () => {
  await Promise.all(pages.splice(0).map((page) => page.context().close()));
});
afterAll(async () => {
  await browser.close();
});

describe('the demo page in Chromium', () => {
  let gateway: TestGateway;
  const open = (room: string, name: string): Promise<Page> => openOn(gateway.url, room, name);

  beforeAll(async () => {
    gateway = await startGateway({ GRACE_MS: '1500' });
  });
  afterAll(async () => {
    await gateway.close();
  });

  test('two pages join one room, connect, chat over the data channel, and show the call', async () => {
    const alice = await open('e2e', 'alice');
    const bob = await open('e2e', 'bob');
    await Promise.all([connectedTo(alice, 'bob'), connectedTo(bob, 'alice')]);
    await chat(alice, bob, 'hello bob, this went peer to peer');
    await chat(bob, alice, 'hello alice');

    await Promise.all([alice, bob].map((page) => page.getByRole('button', { name: 'Start camera and microphone' }).click()));
    // The fake camera's frames arrive on the other side: renegotiation with media worked.
    for (const [page, other] of [[alice, 'bob'], [bob, 'alice']] as const) {
      await page.waitForFunction((name) => {
        const tile = [...document.querySelectorAll('#peers .peer')].find((node) => node.textContent?.includes(name));
        const video = tile?.querySelector('video');
        return video instanceof HTMLVideoElement && video.readyState >= 2 && video.videoWidth > 0;
      }, other, { timeout: PAGE_STEP_TIMEOUT_MS });
      await tileOf(page, other).locator('.pair', { hasText: '⇄' }).waitFor({ timeout: PAGE_STEP_TIMEOUT_MS });
    }
    await expect(tileOf(alice, 'bob').locator('.machine li[aria-current]').innerText()).resolves.toBe('p2p-connected');
    await alice.screenshot({ path: `${ARTIFACTS}/demo-alice.png`, fullPage: true });
    await bob.screenshot({ path: `${ARTIFACTS}/demo-bob.png`, fullPage: true });
  });

  test('a reloaded page joins again by itself; the other sees the old peer leave and the call come back', async () => {
    const alice = await open('reload', 'alice');
    const bob = await open('reload', 'bob');
    await Promise.all([connectedTo(alice, 'bob'), connectedTo(bob, 'alice')]);
    const before = await tileOf(alice, 'bob').getAttribute('data-peer');

    await bob.reload();
    await bob.locator('#gateway-state[data-state="connected"]').waitFor({ timeout: PAGE_STEP_TIMEOUT_MS });
    // The old Bob is gone from Alice's page (PeerDisconnected), the new one is called without a click.
    await alice.locator(`#peers .peer[data-peer="${before}"]`).waitFor({ state: 'detached', timeout: PAGE_STEP_TIMEOUT_MS });
    await Promise.all([connectedTo(alice, 'bob'), connectedTo(bob, 'alice')]);
    expect(await tileOf(alice, 'bob').getAttribute('data-peer')).not.toBe(before);
    await chat(bob, alice, 'back after a reload');
  });

  test('a crashed page says no goodbye: the other sees it leave after grace, and a new tab calls again', async () => {
    const alice = await open('crash', 'alice');
    const bob = await open('crash', 'bob');
    await Promise.all([connectedTo(alice, 'bob'), connectedTo(bob, 'alice')]);
    const before = await tileOf(alice, 'bob').getAttribute('data-peer');

    // A renderer crash: no pagehide, no leaveRoom, the socket just drops.
    const crashed = new Promise((resolve) => bob.once('crash', resolve));
    const devtools = await bob.context().newCDPSession(bob);
    void devtools.send('Page.crash').catch(() => undefined);
    await crashed;
    await alice.locator(`#peers .peer[data-peer="${before}"]`).waitFor({ state: 'detached', timeout: PAGE_STEP_TIMEOUT_MS });

    const again = await open('crash', 'bob');
    await Promise.all([connectedTo(alice, 'bob'), connectedTo(again, 'alice')]);
    expect(await tileOf(alice, 'bob').getAttribute('data-peer')).not.toBe(before);
    await chat(again, alice, 'back in a new tab');
  });

  test('Chromium calls a werift peer in Node through the gateway', async () => {
    const node = await weriftRoom(gateway.httpUrl, { room: 'mixed', peerId: 'werift-peer' });
    try {
      // The page is the newcomer: it calls, and the Node side answers.
      const page = await open('mixed', 'chromium');
      await connectedTo(page, 'werift-peer');
      const pageId = await page.locator('#self').innerText().then((text) => /\(([^)]+)\)/.exec(text)?.[1] ?? '');
      const arrived = dataFrom(node, pageId, 'from chromium to werift');
      await page.getByLabel('Message').fill('from chromium to werift');
      await page.getByRole('button', { name: 'Send' }).click();
      await arrived;
      node.send(pageId, 'from werift to chromium');
      await page.locator('#chat-log li', { hasText: 'from werift to chromium' }).waitFor({ timeout: PAGE_STEP_TIMEOUT_MS });
      await page.screenshot({ path: `${ARTIFACTS}/demo-chromium-werift.png`, fullPage: true });
    } finally {
      await node.leave();
    }
  });
});

describe('the demo page on two gateway instances sharing Redis', () => {
  const instances = sharedRedisSuite();

  test('a page on each instance: the call connects and the chat crosses', async () => {
    const [one, two] = instances();
    if (!one || !two) throw new Error('gateways did not start');
    const alice = await openOn(one.url, 'redis-e2e', 'alice');
    const bob = await openOn(two.url, 'redis-e2e', 'bob');
    await Promise.all([connectedTo(alice, 'bob'), connectedTo(bob, 'alice')]);
    await chat(alice, bob, 'from instance one to instance two');
    await chat(bob, alice, 'and back');
    await alice.screenshot({ path: `${ARTIFACTS}/demo-redis-alice.png`, fullPage: true });
    await bob.screenshot({ path: `${ARTIFACTS}/demo-redis-bob.png`, fullPage: true });
  });
});
