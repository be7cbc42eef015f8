/** `npm run build`: the demo page's bundle (dist/web/) and the gateway (dist/server/). Not committed. */
import { buildDemo } from './build-web';
import { buildServer } from './build-server';

const started = Date.now();
Promise.all([buildDemo(), buildServer()]).then(
  ([demo, server]) =>
    console.log(`build: dist/web/demo.js ${(demo / 1024).toFixed(0)} KiB, dist/server/main.js ${(server / 1024).toFixed(0)} KiB in ${Date.now() - started} ms`),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
