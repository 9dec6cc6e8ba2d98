// The binding's glibc malloc settings (native/src/malloc_tuning.cc): a large tensor freed and allocated
// again reuses the same memory instead of new pages from the kernel, and malloc settings made through
// the environment are left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as torch from '../../src/torch/index.js';
import { repoRoot } from '../helpers.js';

const header = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
const glibc = header.header?.glibcVersionRuntime !== undefined;
const mallocEnv = ['MALLOC_TRIM_THRESHOLD_', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_MMAP_MAX_', 'MALLOC_TOP_PAD_'].filter((v) => process.env[v] !== undefined);
const userTuned = mallocEnv.length > 0 || /glibc\.malloc\./.test(process.env.GLIBC_TUNABLES ?? '');
const skip = !glibc ? 'not glibc' : userTuned ? 'malloc configured through the environment' : false;

test('the binding reports what it did to malloc', () => {
  const m = torch.buildInfo().malloc;
  if (!glibc) assert.equal(m, 'not glibc');
  else if (userTuned) assert.match(m, /^environment: /);
  else assert.equal(m, 'tuned: no mmap, no trim');
});

test('a 64 MiB tensor freed and allocated again reuses the same memory in most rounds', { skip }, () => {
  const numel = 16 * 1024 * 1024; // 64 MiB of float32: above glibc's largest default mmap threshold (32 MiB)
  const pages = (numel * 4) / 4096;
  const round = (): number => {
    const before = process.resourceUsage().minorPageFault;
    torch.tidy(() => {
      torch.empty([numel]).fill_(1); // touches every page
    });
    return process.resourceUsage().minorPageFault - before;
  };
  // Untuned, glibc maps a block this large afresh and unmaps it on free: every round faults in every
  // page. Tuned, the block returns to the heap and the next round reuses it, except in the rounds where
  // the heap still grows: glibc 2.36's posix_memalign (libtorch aligns to 64 bytes) leaves a small
  // remainder behind each block in the thread cache, which does not merge it, so until that cache is
  // full a freed block is a few bytes too small for the next request. Which rounds grow depends on
  // every small allocation in between (the binding's handle table growing, V8, Node): in runs of this
  // loop they were rounds 0-7 in one process and rounds 0 and 8-10 in another, 1 to 8 of 24 in all, so
  // the test counts growing rounds instead of expecting quiet ones at fixed positions.
  const rounds = 20;
  const faults = Array.from({ length: rounds }, round);
  const grew = faults.filter((f) => f > pages / 2).length;
  assert.ok(grew <= rounds / 2, `${grew} of ${rounds} rounds took a new block (${pages} pages each): ${faults.join(', ')}`);
});

test('malloc settings from the environment win over the binding', { skip: glibc ? false : 'not glibc' }, () => {
  const script = `import(${JSON.stringify(join(repoRoot, 'dist', 'src', 'torch', 'index.js'))}).then((t) => console.log(t.buildInfo().malloc))`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, MALLOC_TRIM_THRESHOLD_: '268435456' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout.trim(), /^environment: MALLOC_[A-Z_]+_$/);
});
