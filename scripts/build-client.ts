/**
 * Builds the SDK package `@switchboard/client` into client/dist/: ESM (`.mjs`) and CommonJS (`.cjs`)
 * bundles of its two entry points (`index`: the SDK; `wire`: the protocol module the gateway shares),
 * dependencies external, and `.d.ts` files in client/dist/types/ from the TypeScript compiler.
 */
import { build, type BuildOptions } from 'esbuild';
import { join } from 'node:path';
import { emitDeclarations } from './declarations';

const CLIENT_DIR = join(__dirname, '..', 'client');
export const CLIENT_DIST_DIR = join(CLIENT_DIR, 'dist');
const ENTRIES = ['index', 'wire'] as const;

/** Builds the SDK; resolves with the size in bytes of the ESM bundle of `index`. */
export async function buildClient(): Promise<number> {
  const common: BuildOptions = {
    entryPoints: ENTRIES.map((name) => join(CLIENT_DIR, `${name}.ts`)),
    outdir: CLIENT_DIST_DIR,
    bundle: true,
    packages: 'external',
    platform: 'neutral',
    target: 'es2022',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  };
  const [esm] = await Promise.all([
    build({ ...common, format: 'esm', outExtension: { '.js': '.mjs' } }),
    build({ ...common, format: 'cjs', outExtension: { '.js': '.cjs' } }),
  ]);
  await emitDeclarations(join(CLIENT_DIR, 'tsconfig.build.json'));
  return Object.entries(esm.metafile?.outputs ?? {}).find(([file]) => file.endsWith('index.mjs'))?.[1].bytes ?? 0;
}
