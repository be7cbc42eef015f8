import type { Browser, Page } from 'playwright-core';
import { buildDemo } from '../scripts/build-web';
import { launchChromium } from './helpers/browser';
import { chat, connectedTo, framesDecoded, framesGrow, openDemo, PAGE_STEP_TIMEOUT_MS, RECORD_CONNECTIONS, recordedIceServers, tileOf } from './helpers/demo-page';
import { startGateway, TEST_SECRET, type TestGateway } from './helpers/gateway';
import { nextEvent, sdkClient } from './helpers/sdk';

/** Handed out by the gateway's iceServers; nothing listens there (host candidates on loopback carry the calls). */
const STUN_URL = 'stun:127.0.0.1:3478';
/** Frames each remaining connection must decode after the third page left. */
const FRAMES_AFTER_LEAVE = 30;

let browser: Browser;
const pages: Page[] = [];
const gateways: TestGateway[] = [];
async function open(gateway: TestGateway, room: string, name: string): Promise<Page> {
  const page = await openDemo(browser, gateway.url, room, name, RECORD_CONNECTIONS);
  pages.push(page);
  return page;
}
async function gateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const started = await startGateway({ GRACE_MS: '1500', STUN_URLS: STUN_URL, ...env });
  gateways.push(started);
  return started;
}

/** Resolves when the page's tile for `name` plays video. */
async function seesVideoFrom(page: Page, name: string): Promise<void> {
  await page.waitForFunction(
    (from) => {
      const tile = [...document.querySelectorAll('#peers .peer')].find((node) => node.textContent?.includes(from));
      const video = tile?.querySelector('video');
      return video instanceof HTMLVideoElement && video.readyState >= 2 && video.videoWidth > 0;
    },
    name,
    { timeout: PAGE_STEP_TIMEOUT_MS },
  );
}

beforeAll(async () => {
  [browser] = await Promise.all([launchChromium(), buildDemo()]);
});
afterEach(async () => {
  await Promise.all(pages.splice(0).map((page) => page.context().close()));
  await Promise.all(gateways.splice(0).map((started) => started.close()));
});
afterAll(async () => {
  await browser.close();
});

describe('the demo page on joinRoom', () => {
  test('three pages with cameras (the third joins after two started theirs): one leaves, the other two keep decoding each other\'s frames', async () => {
    const gw = await gateway();
    const [ada, bob] = [await open(gw, 'three', 'ada'), await open(gw, 'three', 'bob')];
    for (const page of [ada, bob]) await page.getByRole('button', { name: 'Start camera and microphone' }).click();
    // Cy comes later: the cameras already running are published to her too.
    const cy = await open(gw, 'three', 'cy');
    await cy.getByRole('button', { name: 'Start camera and microphone' }).click();
    const named = { ada, bob, cy };
    for (const [name, page] of Object.entries(named)) {
      for (const other of Object.keys(named).filter((other) => other !== name)) await seesVideoFrom(page, other);
    }
    // Every connection, the calling side's too, was made with the gateway's ICE servers.
    for (const page of [ada, bob, cy]) {
      const servers = await recordedIceServers(page);
      expect(servers).toHaveLength(2);
      for (const iceServers of servers) expect(iceServers).toEqual([{ urls: [STUN_URL] }]);
    }
    const before = { ada: await framesDecoded(ada), bob: await framesDecoded(bob) };

    await cy.getByRole('button', { name: 'Leave' }).click();
    for (const page of [ada, bob]) await tileOf(page, 'cy').waitFor({ state: 'detached', timeout: PAGE_STEP_TIMEOUT_MS });
    // Ada's connection to Cy closed with Cy's departure; the one to Bob must keep carrying Bob's camera.
    const atLeave = { ada: await framesDecoded(ada), bob: await framesDecoded(bob) };
    expect(atLeave.ada).toHaveLength(1);
    expect(atLeave.bob).toHaveLength(1);
    const after = { ada: await framesGrow(ada, atLeave.ada, FRAMES_AFTER_LEAVE), bob: await framesGrow(bob, atLeave.bob, FRAMES_AFTER_LEAVE) };
    console.log(
      `frames decoded (inbound-rtp video, per open connection): ada ${before.ada.join('+')} before cy left, ${atLeave.ada.join('')} at, ${after.ada.join('')} after; ` +
        `bob ${before.bob.join('+')} before, ${atLeave.bob.join('')} at, ${after.bob.join('')} after`,
    );
    // And the camera each of them started still runs.
    for (const page of [ada, bob]) {
      const camera = page.evaluate(() => ((document.getElementById('local-video') as HTMLVideoElement).srcObject as MediaStream).getTracks().map((track) => track.readyState));
      await expect(camera).resolves.toEqual(['live', 'live']);
    }
  });

  test('a started camera can be stopped (its tracks end, nothing is sent) and started again', async () => {
    const gw = await gateway();
    const ada = await open(gw, 'camera', 'ada');
    const bob = await open(gw, 'camera', 'bob');
    await Promise.all([connectedTo(ada, 'bob'), connectedTo(bob, 'ada')]);
    await ada.getByRole('button', { name: 'Start camera and microphone' }).click();
    await seesVideoFrom(bob, 'ada');
    await ada.evaluate(() => {
      (window as unknown as { camera: unknown }).camera = (document.getElementById('local-video') as HTMLVideoElement).srcObject;
    });

    await ada.getByRole('button', { name: 'Stop camera and microphone' }).click();
    await ada.getByRole('button', { name: 'Start camera and microphone' }).waitFor({ timeout: PAGE_STEP_TIMEOUT_MS });
    const stopped = await ada.evaluate(() => {
      const camera = (window as unknown as { camera: MediaStream }).camera;
      const connections = (window as unknown as { __connections: Array<{ pc: RTCPeerConnection }> }).__connections;
      return {
        tracks: camera.getTracks().map((track) => track.readyState),
        sending: connections.flatMap(({ pc }) => pc.getSenders()).filter((sender) => sender.track !== null).length,
        preview: (document.getElementById('local-video') as HTMLVideoElement).srcObject,
      };
    });
    expect(stopped).toEqual({ tracks: ['ended', 'ended'], sending: 0, preview: null });

    await ada.getByRole('button', { name: 'Start camera and microphone' }).click();
    await ada.getByRole('button', { name: 'Stop camera and microphone' }).waitFor({ timeout: PAGE_STEP_TIMEOUT_MS });
    await framesGrow(bob, await framesDecoded(bob), FRAMES_AFTER_LEAVE);
  });

  test('after a gateway restart (new secret, old tokens refused) both pages rejoin without a reload', async () => {
    const first = await gateway({ SIGNALING_SECRET: TEST_SECRET });
    const ada = await open(first, 'restart', 'ada');
    const bob = await open(first, 'restart', 'bob');
    await Promise.all([connectedTo(ada, 'bob'), connectedTo(bob, 'ada')]);
    const ids = await Promise.all([ada, bob].map((page) => tileOf(page === ada ? bob : ada, page === ada ? 'ada' : 'bob').getAttribute('data-peer')));

    await first.close();
    const second = await gateway({ PORT: String(first.port), SIGNALING_SECRET: `${TEST_SECRET}-after-restart` });
    // A probe on the new gateway sees both pages come back in the room, with their old ids.
    const probe = await sdkClient(second.httpUrl, 'restart', 'probe');
    try {
      for (let left = 2; ids.some((id) => !probe.peers.some((peer) => peer.id === id)) && left > 0; left -= 1) {
        if (ids.every((id) => probe.peers.some((peer) => peer.id === id))) break;
        await nextEvent(probe, 'peer-connected', ({ peer }) => ids.includes(peer.id), PAGE_STEP_TIMEOUT_MS);
      }
      expect(probe.peers.map((peer) => peer.id).sort()).toEqual([...ids].sort());
    } finally {
      await probe.close();
    }
    for (const page of [ada, bob]) await page.locator('#gateway-state[data-state="connected"]').waitFor({ timeout: PAGE_STEP_TIMEOUT_MS });
    await Promise.all([connectedTo(ada, 'bob'), connectedTo(bob, 'ada')]);
    await chat(ada, bob, 'still here after the restart');
    await chat(bob, ada, 'me too');
  });
});
