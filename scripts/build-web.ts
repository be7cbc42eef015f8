/**
 * Bundles the demo page's script (web/demo.ts, which uses the SDK in client/) into
 * dist/web/demo.js with a source map (part of `npm run build`, which npm start and npm test run first).
 */
import { build } from 'esbuild';
import { join } from 'node:path';
import { DEMO_BUNDLE_DIR } from '../src/pages/demo';

/** Bundles the demo script; resolves with the bundle's size in bytes. */
export async function buildDemo(): Promise<number> {
  const result = await build({
    entryPoints: [join(__dirname, '..', 'web', 'demo.ts')],
    outfile: join(DEMO_BUNDLE_DIR, 'demo.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  return Object.values(result.metafile.outputs).find((output) => output.entryPoint)?.bytes ?? 0;
}
