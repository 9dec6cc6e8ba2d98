#!/usr/bin/env node
// `npm run bench -- <name> [args...]` runs dist/bench/<name>/index.js. Each benchmark prints a readable
// table and, last, one JSON line of its figures.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const [name, ...rest] = process.argv.slice(2);
const benchDir = join(root, 'dist', 'bench');
const available = existsSync(benchDir)
  ? readdirSync(benchDir, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(join(benchDir, e.name, 'index.js'))).map((e) => e.name)
  : [];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name>   (available: ${available.join(', ') || 'none'})`);
  process.exit(2);
}
// The memory soaks run as the `stad` command does: with V8's young generation fixed (src/util/young-generation.ts).
const v8Flags = ['soak', 'detect-soak'].includes(name) ? ['--max-semi-space-size=1'] : [];
const r = spawnSync(process.execPath, ['--expose-gc', ...v8Flags, join(benchDir, name, 'index.js'), ...rest], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
