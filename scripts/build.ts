/**
 * `npm run build`: the SDK package (client/dist/), then the gateway (dist/server/, dist/types/) and the
 * demo page's bundle (dist/web/). `npm run build:client` (`build.ts client`) builds the SDK alone.
 * Nothing built is committed.
 */
import { buildClient } from './build-client';
import { buildServer } from './build-server';
import { buildDemo } from './build-web';

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

async function main(clientOnly: boolean): Promise<string> {
  const started = Date.now();
  const client = await buildClient();
  if (clientOnly) return `build: client/dist/index.mjs ${kib(client)} in ${Date.now() - started} ms`;
  const [demo, server] = await Promise.all([buildDemo(), buildServer()]);
  return `build: client/dist/index.mjs ${kib(client)}, dist/server/main.js ${kib(server)}, dist/web/demo.js ${kib(demo)} in ${Date.now() - started} ms`;
}

main(process.argv[2] === 'client').then(
  (summary) => console.log(summary),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
