#!/usr/bin/env node
// Entry point: runs the JavaScript that `npm run build` (run by `npm ci` through the prepare script) compiled
// from src/ to dist/.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('meterfabric is not built: run `npm run build` (or `npm ci`, which builds) in the package folder');
  process.exit(1);
}
await (await import(main.href)).main(process.argv);
