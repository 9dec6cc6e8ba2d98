// holdYoungGeneration: V8's new space stops growing, so a long run's RSS does not swing with it (issue
// #12). Each case runs in a child process: V8's flags are process-wide and the test runner's own heap
// must not be held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers.js';
import { processMemory } from '../../src/util/process-memory.js';

const moduleUrl = pathToFileURL(join(repoRoot, 'dist', 'src', 'util', 'young-generation.js')).href;

/** Largest new-space size (bytes) seen while allocating objects of which many survive a scavenge. */
function largestNewSpace(hold: boolean): { atStart: number; largest: number } {
  const script = `
    const { holdYoungGeneration, newSpaceBytes } = await import(${JSON.stringify(moduleUrl)});
    const atStart = ${hold ? 'holdYoungGeneration()' : 'newSpaceBytes()'};
    let largest = atStart;
    let keep = [];
    for (let r = 0; r < 60; r++) {
      for (let i = 0; i < 20000; i++) {
        keep.push({ a: i, b: [i, i + 1], s: 'x' + i });
        if (keep.length > 50000) keep = keep.slice(25000);
      }
      largest = Math.max(largest, newSpaceBytes());
    }
    process.stdout.write(JSON.stringify({ atStart, largest }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { atStart: number; largest: number };
}

test('the new space grows under survivors by default, and stays put once held', () => {
  const free = largestNewSpace(false);
  const held = largestNewSpace(true);
  // V8 (Node 20) grows 1 -> 32 MiB here; held, it stays at its start-up size (reported as 1-2 MiB)
  assert.ok(free.largest >= 8 * free.atStart, `default: ${free.atStart} -> ${free.largest} bytes`);
  assert.ok(held.largest <= 2 * held.atStart, `held: ${held.atStart} -> ${held.largest} bytes`);
  assert.ok(held.largest * 4 <= free.largest, `held ${held.largest} vs default ${free.largest} bytes`);
});

test('processMemory splits the resident set into V8, the brk heap, anonymous and file pages', () => {
  const m = processMemory();
  for (const v of [m.rssMB, m.heapTotalMB, m.heapUsedMB, m.externalMB, m.arrayBuffersMB]) assert.ok(Number.isFinite(v) && v >= 0);
  assert.ok(m.heapUsedMB <= m.heapTotalMB);
  if (process.platform === 'linux') {
    assert.ok(m.maps !== null);
    const sum = m.maps.brkHeapMB + m.maps.anonMB + m.maps.fileMB;
    // the mappings' Rss and the process's RSS are read a moment apart: close, not equal
    assert.ok(sum > 0.8 * m.rssMB && sum < 1.2 * m.rssMB, `mappings ${sum} MB vs RSS ${m.rssMB} MB`);
    assert.ok(m.maps.anonMappings > 0);
  }
});
