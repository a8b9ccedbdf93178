#!/usr/bin/env node
// Part of `npm run build`: tsc compiles src/**/*.ts to dist/; this copies every other file the code reads at run
// time next to the compiled module that reads it (SQL migrations, WSDL/XSD files, the console's static files), so
// dist/ is self-contained. README and TypeScript files are not copied.
import { cpSync, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
if (!existsSync(dist)) throw new Error('dist/ is missing: run tsc -p tsconfig.build.json first');
cpSync(src, dist, {
  recursive: true,
  filter: (path) => statSync(path).isDirectory() || !/\.(ts|md)$/.test(path),
});
