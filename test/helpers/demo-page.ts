import type { Browser, Page } from 'playwright-core';
import { isLocal } from './browser';

/** Bound for one step of a browser call (join, connect, a message crossing). */
export const PAGE_STEP_TIMEOUT_MS = 20_000;

/** A demo page in a fresh browser context (its own sessionStorage), joined to `room` as `name`. */
export async function openDemo(browser: Browser, origin: string, room: string, name: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  // The page must need nothing but the gateway: anything else is aborted and fails the check below.
  await page.route('**/*', (route) => (isLocal(route.request().url()) ? route.continue() : route.abort('internetdisconnected')));
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // Nothing the page loads may fail (a missing icon was a 404 on every load).
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(`${origin}/?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}`);
  await page.getByRole('button', { name: 'Join' }).click();
  await page.locator('#gateway-state[data-state="connected"]').waitFor({ timeout: PAGE_STEP_TIMEOUT_MS });
  if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
  return page;
}

/** The tile of the remote peer named `name` on `page`. */
export function tileOf(page: Page, name: string) {
  return page.locator('#peers .peer').filter({ hasText: name });
}

/** Waits until `page` has a p2p-connected session to the peer named `name` (chat sent before its channel opens waits for it). */
export async function connectedTo(page: Page, name: string): Promise<void> {
  await tileOf(page, name).locator('.state[data-state="p2p-connected"]').waitFor({ timeout: PAGE_STEP_TIMEOUT_MS });
}

/** Sends `text` in the chat of `from` and waits until `to` shows it. */
export async function chat(from: Page, to: Page, text: string): Promise<void> {
  await from.getByLabel('Message').fill(text);
  await from.getByRole('button', { name: 'Send' }).click();
  await to.locator('#chat-log li').filter({ hasText: text }).waitFor({ timeout: PAGE_STEP_TIMEOUT_MS });
}
