/**
 * Compiles the gateway into dist/server/ with source maps, npm packages external: `main.js` (the
 * process: `npm start`, the Docker image, the benchmarks), `bin.js` (the `switchboard start | token`
 * command) and `index.js` (the package's API: createGateway, loadConfig). No TypeScript loader at run
 * time, and no keep-names wrapping (tsx's transform gives every named function an own `name` property,
 * ~3 KiB of heap per connected peer). The SDK's wire module is bundled in from client/wire.ts, so the
 * compiled gateway needs no build of the SDK; its declarations (dist/types/) name `@switchboard/client/wire`.
 */
import { build } from 'esbuild';
import { join } from 'node:path';
import { emitDeclarations } from './declarations';

const ROOT = join(__dirname, '..');
const OUT_DIR = join(ROOT, 'dist', 'server');
export const SERVER_ENTRY = join(OUT_DIR, 'main.js');

/**
 * Builds dist/server/ and (unless `declarations` is false) dist/types/; resolves with the size of
 * main.js in bytes. The declarations need the SDK's own (client/dist/types/), so only a full build
 * emits them; the benchmarks run the JavaScript alone.
 */
export async function buildServer({ declarations = true } = {}): Promise<number> {
  const [result] = await Promise.all([
    build({
      entryPoints: ['main', 'bin', 'index'].map((name) => join(ROOT, 'src', `${name}.ts`)),
      outdir: OUT_DIR,
      bundle: true,
      packages: 'external',
      alias: { '@switchboard/client/wire': join(ROOT, 'client', 'wire.ts') },
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: true,
      metafile: true,
      logLevel: 'warning',
    }),
    declarations ? emitDeclarations(join(ROOT, 'tsconfig.build.json')) : undefined,
  ]);
  return Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('main.js'))?.[1].bytes ?? 0;
}
