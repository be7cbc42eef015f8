import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './helpers/browser';
import { startGateway, type TestGateway } from './helpers/gateway';
import { bundlePeerjs, callWithCamera, peerjsPage, peerLog, sendData, untilLog } from './helpers/peerjs-page';
import { sharedRedisSuite } from './helpers/suite';

/** The official PeerJS client (npm `peerjs`, bundled, no CDN) in Chromium pages, signalling through Switchboard. */
describe('the peerjs browser client through Switchboard', () => {
  let browser: Browser;
  let bundle: string;
  let gw: TestGateway;
  const pages: Page[] = [];
  const open = async (url: string, key: string, id: string): Promise<Page> => {
    const page = await peerjsPage(browser, bundle, url, key, id);
    pages.push(page);
    return page;
  };

  beforeAll(async () => {
    [browser, bundle, gw] = await Promise.all([launchChromium(), bundlePeerjs(), startGateway({ PEERJS_EXPIRE_MS: '500' })]);
  });
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.context().close()));
  });
  afterAll(async () => {
    await browser.close();
    await gw.close();
  });

  /** `a` opens a DataConnection and a MediaConnection to `b`; both carry. */
  async function dataAndMedia(a: Page, b: Page): Promise<void> {
    await sendData(a, 'bob', 'hello over a PeerJS DataConnection');
    await untilLog(b, "log.received.includes('hello over a PeerJS DataConnection')");
    await callWithCamera(a, 'bob');
    await Promise.all([untilLog(a, 'log.remoteVideo'), untilLog(b, 'log.remoteVideo')]);
    expect((await peerLog(a)).errors).toEqual([]);
    expect((await peerLog(b)).errors).toEqual([]);
  }

  test('two pages open a DataConnection and a MediaConnection', async () => {
    const [alice, bob] = await Promise.all([open(gw.url, 'pj-browser', 'alice'), open(gw.url, 'pj-browser', 'bob')]);
    await dataAndMedia(alice, bob);
  });

  test('ID-TAKEN for a live id: the second page gets unavailable-id', async () => {
    await open(gw.url, 'pj-taken', 'alice');
    await expect(open(gw.url, 'pj-taken', 'alice')).rejects.toThrow('unavailable-id');
  });

  test('EXPIRE for a peer that never connects: peer-unavailable', async () => {
    const alice = await open(gw.url, 'pj-expire', 'alice');
    await sendData(alice, 'ghost', 'anyone?');
    await untilLog(alice, "log.errors.includes('peer-unavailable')");
  });

  describe('pages on two instances sharing a private Redis', () => {
    const instances = sharedRedisSuite();

    test('a DataConnection and a MediaConnection cross instances', async () => {
      const [first, second] = instances();
      if (!first || !second) throw new Error('instances not started');
      const [alice, bob] = await Promise.all([open(first.url, 'pj-redis', 'alice'), open(second.url, 'pj-redis', 'bob')]);
      await dataAndMedia(alice, bob);
    });
  });
});
