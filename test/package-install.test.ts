/**
 * The packages as an outsider gets them: `npm pack` of the server and the SDK, the tarballs installed
 * into a fresh app outside this tree, `npx switchboard start`, and apps that use only the installed
 * `@switchboard/client` (ESM, CommonJS, TypeScript with two module resolutions, an esbuild bundle in
 * Chromium). It packs what `npm run build` built (`npm test` builds first).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { launchChromium } from './helpers/browser';
import { ChildGateway } from './helpers/child-gateway';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');
const FIXTURES = join(__dirname, 'fixtures', 'outside-app');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
/** Packing, installing from npm's cache and a werift call each take seconds; these bound them. */
const INSTALL_TIMEOUT_MS = 180_000;
const APP_TIMEOUT_MS = 60_000;

let app: string;
let gateway: ChildGateway;
let installMs: number;

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** Runs one of the app's scripts with node and returns its last line of output, parsed. */
async function runApp(script: string, room: string): Promise<unknown> {
  const { stdout } = await run(process.execPath, [script, gateway.httpUrl, room], { cwd: app, timeout: APP_TIMEOUT_MS });
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last);
}

beforeAll(async () => {
  for (const built of ['dist/server/bin.js', 'dist/server/index.js', 'client/dist/index.mjs', 'client/dist/index.cjs']) {
    await stat(join(ROOT, built)).catch(() => {
      throw new Error(`${built} is missing: run npm run build (npm test does) before this test`);
    });
  }
  app = await mkdtemp(join(tmpdir(), 'switchboard-app-'));
  const tarballs = join(app, 'tarballs');
  await mkdir(tarballs);
  await npm(['pack', '--ignore-scripts', '--pack-destination', tarballs], ROOT);
  await npm(['pack', '--ignore-scripts', '--workspace', 'client', '--pack-destination', tarballs], ROOT);
  const { devDependencies } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'outside-app', version: '1.0.0', private: true }));
  const started = Date.now();
  await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', join(tarballs, 'switchboard-0.1.0.tgz'), join(tarballs, 'switchboard-client-0.1.0.tgz')], app);
  installMs = Date.now() - started;
  // What the app itself brings for Node: werift peers and a WebSocket.
  await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', `werift@${devDependencies['werift']}`, 'ws'], app);
  await cp(FIXTURES, app, { recursive: true });
  gateway = await ChildGateway.start({ GRACE_MS: '1500' }, { file: 'npx', args: ['switchboard', 'start'], cwd: app });
}, INSTALL_TIMEOUT_MS * 3);

afterAll(async () => {
  await gateway?.stop();
  if (app) await rm(app, { recursive: true, force: true });
});

describe('the packed packages in an app outside the repository', () => {
  test('installs from the tarballs; `npx switchboard` serves the demo page and GraphQL', async () => {
    console.log(`install of both tarballs (npm's cache warm): ${(installMs / 1000).toFixed(1)} s`);
    const demo = await fetch(gateway.url);
    expect(demo.status).toBe(200);
    expect(await demo.text()).toContain('<script');
    const { stdout } = await run('npx', ['switchboard', 'token', '--room', 'r', '--peer', 'p'], {
      cwd: app,
      env: { ...process.env, SIGNALING_SECRET: 'a-secret-long-enough-for-hs256-0123456789abcdef' },
    });
    expect(stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  test.each(['mesh.mjs', 'mesh.cjs'])('%s: three werift peers through joinRoom each hear the others; one leaves; the two still talk', async (script) => {
    const result = await runApp(script, `outside-${script.replace('.', '-')}`);
    console.log(`${script}: ${JSON.stringify(result)}`);
    expect(result).toEqual({ heard: [2, 2, 2], heardAfterLeave: [1, 1] });
  }, APP_TIMEOUT_MS);

  test.each([
    ['bundler', 'esnext'],
    ['nodenext', 'nodenext'],
  ])('a TypeScript app type-checks with moduleResolution %s (no skipLibCheck)', async (moduleResolution, module) => {
    const tsconfig = join(app, `tsconfig.${moduleResolution}.json`);
    const compilerOptions = { strict: true, noEmit: true, skipLibCheck: false, target: 'es2022', lib: ['es2022', 'dom'], types: [], module, moduleResolution };
    await writeFile(tsconfig, JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
    await expect(run(process.execPath, [TSC, '-p', tsconfig], { cwd: app, timeout: APP_TIMEOUT_MS })).resolves.toBeDefined();
  }, APP_TIMEOUT_MS);

  describe('an esbuild bundle of the installed SDK in Chromium', () => {
    let browser: Browser;
    let page: Server;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser.close();
      page?.close();
    });

    test('two peers of one page call each other and exchange data', async () => {
      const bundle = await build({ entryPoints: [join(app, 'browser.mjs')], absWorkingDir: app, bundle: true, format: 'esm', platform: 'browser', minify: true, write: false, target: 'chrome110' });
      const code = bundle.outputFiles[0]?.text ?? '';
      const sdk = await build({ stdin: { contents: "export * from '@switchboard/client';", resolveDir: app }, bundle: true, format: 'esm', platform: 'browser', minify: true, write: false });
      const sdkBytes = sdk.outputFiles[0]?.contents ?? new Uint8Array();
      console.log(`SDK bundle (everything it exports, minified): ${(sdkBytes.length / 1024).toFixed(1)} KiB, ${(gzipSync(sdkBytes).length / 1024).toFixed(1)} KiB gzip`);
      page = createServer((req, res) => {
        if (req.url?.startsWith('/app.js')) {
          res.writeHead(200, { 'content-type': 'text/javascript' }).end(code);
          return;
        }
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/app.js"></script>');
      });
      await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
      const { port } = page.address() as AddressInfo;
      const tab = await browser.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (error) => errors.push(error.message));
      await tab.goto(`http://127.0.0.1:${port}/?gateway=${encodeURIComponent(gateway.httpUrl)}`);
      await tab.waitForFunction(() => (window as unknown as { done?: boolean }).done === true || undefined, undefined, { timeout: 30_000 }).catch((error: unknown) => {
        throw new Error(`${String(error)}; page errors: ${errors.join('; ')}`);
      });
      expect(await tab.evaluate(() => (window as unknown as { result?: string }).result)).toBe('ada: hello from a bundle');
      expect(errors).toEqual([]);
      await tab.close();
    }, APP_TIMEOUT_MS);
  });
});
