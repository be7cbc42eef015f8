/**
 * Compiles the gateway (src/main.ts and what it imports from src/ and client/) into one file,
 * dist/server/main.js, with a source map; npm packages stay external. `npm start`, the Docker image and
 * the benchmarks run it with plain node: no TypeScript loader at run time, and no keep-names wrapping
 * (tsx's transform gives every named function an own `name` property, ~3 KiB of heap per connected peer).
 */
import { build } from 'esbuild';
import { join } from 'node:path';

export const SERVER_ENTRY = join(__dirname, '..', 'dist', 'server', 'main.js');

/** Builds dist/server/main.js; resolves with its size in bytes. */
export async function buildServer(): Promise<number> {
  const result = await build({
    entryPoints: [join(__dirname, '..', 'src', 'main.ts')],
    outfile: SERVER_ENTRY,
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  return Object.values(result.metafile.outputs).find((output) => output.entryPoint)?.bytes ?? 0;
}
