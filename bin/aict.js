#!/usr/bin/env node
// The `aict` command: the compiled CLI (npm run build compiles apps/cli into dist/).
require('../dist/apps/cli/src/main.js');
