/** `.d.ts` files for a package, emitted by the TypeScript compiler from a build tsconfig. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs `tsc -p <tsconfig>` (which emits declarations only); rejects with the compiler's output. */
export async function emitDeclarations(tsconfig: string): Promise<void> {
  try {
    await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', tsconfig]);
  } catch (error) {
    const output = error as { stdout?: string; stderr?: string };
    throw new Error(`tsc -p ${tsconfig} failed:\n${output.stdout ?? ''}${output.stderr ?? ''}`);
  }
}
