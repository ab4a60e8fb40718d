#!/usr/bin/env node
// `npx tollbooth ...`: the operator CLI (bin/cli.ts). From a build (`npm run build`) it runs the
// compiled dist/bin/cli.js; in a clone, the TypeScript source through tsx.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const built = join(__dirname, 'cli.js');
if (existsSync(built)) require(built);
else {
  require('tsx/cjs');
  require('./cli.ts');
}
