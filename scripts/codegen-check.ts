/**
 * Fails when the generated client code in the repository differs from what `codegen.ts` generates from
 * `schema/schema.graphql` and `client/documents/` now (run `npm run codegen` to update it).
 */
import { readFile } from 'node:fs/promises';
import { generate } from '@graphql-codegen/cli';
import config from '../codegen';

async function main(): Promise<void> {
  const outputs = await generate({ ...config, silent: true }, false);
  const stale: string[] = [];
  for (const { filename, content } of outputs) {
    const committed = await readFile(filename, 'utf8').catch(() => null);
    if (committed !== content) stale.push(filename);
  }
  if (stale.length > 0) {
    console.error(`generated client code is stale: ${stale.join(', ')}\nrun \`npm run codegen\` and commit the result`);
    process.exit(1);
  }
  console.log(`codegen: ${outputs.length} generated files match`);
}

void main();
