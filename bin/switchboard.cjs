#!/usr/bin/env node
// `npx switchboard start` / `npx switchboard token --room R --peer P --ttl 1h`: the compiled command.
require('../dist/server/bin.js');
