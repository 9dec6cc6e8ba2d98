// V8's young generation fixed by the flag the `stad` command starts Node with, so that a long run's RSS
// does not swing with V8's sizing of it (issue #12); and the memory split the soak benchmarks record.
// The V8 cases run in child processes: the flag only acts at start-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import { YOUNG_GENERATION_FLAG } from '../../src/util/young-generation.js';
import { processMemory } from '../../src/util/process-memory.js';

/** Smallest and largest new-space size (bytes) while allocating objects of which many survive a scavenge. */
function newSpaceRange(flags: string[]): { smallest: number; largest: number } {
  const script = `
    const v8 = await import('node:v8');
    const size = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    let smallest = size(), largest = smallest;
    let keep = [];
    for (let r = 0; r < 60; r++) {
      for (let i = 0; i < 20000; i++) {
        keep.push({ a: i, b: [i, i + 1], s: 'x' + i });
        if (keep.length > 50000) keep = keep.slice(25000);
      }
      smallest = Math.min(smallest, size());
      largest = Math.max(largest, size());
    }
    process.stdout.write(JSON.stringify({ smallest, largest }));`;
  const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { smallest: number; largest: number };
}

test('the new space grows under surviving objects by default, and stays put with the flag', () => {
  const free = newSpaceRange([]);
  const fixed = newSpaceRange([YOUNG_GENERATION_FLAG]);
  // Node 20: 1 -> 32 MiB by default; with the flag 1-2 MiB (V8 reports one or both semi-spaces)
  assert.ok(free.largest >= 8 * free.smallest, `default: ${free.smallest}..${free.largest} bytes`);
  assert.ok(fixed.largest <= 2 * 2 ** 20, `with ${YOUNG_GENERATION_FLAG}: up to ${fixed.largest} bytes`);
});

test('the stad command, npm run stad and the soak benchmarks start Node with the flag', () => {
  const firstLine = readFileSync(join(repoRoot, 'bin', 'stad.js'), 'utf8').split('\n')[0]!;
  assert.equal(firstLine, `#!/usr/bin/env -S node ${YOUNG_GENERATION_FLAG}`);
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.ok(pkg.scripts.stad!.includes(`node ${YOUNG_GENERATION_FLAG} dist/src/cli/main.js`), pkg.scripts.stad);
  assert.ok(readFileSync(join(repoRoot, 'scripts', 'bench.mjs'), 'utf8').includes(`'${YOUNG_GENERATION_FLAG}'`));
});

test('processMemory splits the resident set into V8, the brk heap, anonymous and file pages', () => {
  const m = processMemory();
  for (const v of [m.rssMB, m.heapTotalMB, m.heapUsedMB, m.newSpaceMB, m.largeObjectMB, m.externalMB, m.arrayBuffersMB]) assert.ok(Number.isFinite(v) && v >= 0);
  assert.ok(m.heapUsedMB <= m.heapTotalMB && m.newSpaceMB <= m.heapTotalMB);
  if (process.platform === 'linux') {
    assert.ok(m.maps !== null);
    const sum = m.maps.brkHeapMB + m.maps.anonMB + m.maps.fileMB;
    // the mappings' Rss and the process's RSS are read a moment apart: close, not equal
    assert.ok(sum > 0.8 * m.rssMB && sum < 1.2 * m.rssMB, `mappings ${sum} MB vs RSS ${m.rssMB} MB`);
    assert.ok(m.maps.anonMappings > 0);
  }
});
