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

test('a 64 MiB tensor freed and allocated again costs no new pages once the heap has settled', { skip }, () => {
  const numel = 16 * 1024 * 1024; // 64 MiB of float32: above glibc's largest default mmap threshold (32 MiB)
  const pages = (numel * 4) / 4096;
  const round = (): number => {
    const before = process.resourceUsage().minorPageFault;
    torch.tidy(() => {
      torch.empty([numel]).fill_(1); // touches every page
    });
    return process.resourceUsage().minorPageFault - before;
  };
  // The first rounds grow the heap. glibc 2.36's posix_memalign (libtorch aligns to 64 bytes) asks for a
  // little more than the block it gets and frees the small remainder behind it into the thread cache,
  // which holds 7 chunks per size and does not merge them: until that cache is full, the freed block
  // is a few bytes too small for the next request (the same happens to PyTorch in Python, and to the
  // training steps in bench/RESULTS.md, which settle after 2-3 steps).
  for (let i = 0; i < 12; i++) round();
  let again = 0;
  for (let i = 0; i < 4; i++) again += round();
  // Untuned, every round would fault in every page again (4 * pages): glibc maps a block this large afresh.
  assert.ok(again < pages / 4, `${again} minor faults for four rounds of reuse (${pages} pages per tensor)`);
});

test('malloc settings from the environment win over the binding', { skip: glibc ? false : 'not glibc' }, () => {
  const script = `import(${JSON.stringify(join(repoRoot, 'dist', 'src', 'torch', 'index.js'))}).then((t) => console.log(t.buildInfo().malloc))`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, MALLOC_TRIM_THRESHOLD_: '268435456' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout.trim(), /^environment: MALLOC_[A-Z_]+_$/);
});
