#!/usr/bin/env node
// `npx switchboard token --room R --peer P --ttl 1h`: runs the TypeScript CLI through tsx.
require('tsx/cjs');
require('../src/cli.ts').main();
