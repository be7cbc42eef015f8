/**
 * `npm run schema:print` writes schema/schema.graphql from the code; `npm run schema:check` fails
 * when the committed file has drifted from it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printedSchema } from '../src/api/printed';

const file = join(__dirname, '..', 'schema', 'schema.graphql');
const mode = process.argv[2];

if (mode === 'print') {
  writeFileSync(file, printedSchema());
  console.log(`wrote ${file}`);
} else if (mode === 'check') {
  const committed = readFileSync(file, 'utf8');
  if (committed !== printedSchema()) {
    console.error('schema/schema.graphql differs from the code: run npm run schema:print and commit it');
    process.exit(1);
  }
  console.log('schema/schema.graphql matches the code');
} else {
  console.error('usage: schema.ts print|check');
  process.exit(2);
}
