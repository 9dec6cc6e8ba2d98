/** What src/torch/library-files.ts reads from the build's torchvision-preload.txt. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parsePreloads } from '../../src/torch/library-files.js';

test('torchvision-preload.txt: a global libpython, then local libtorch libraries, in order; a bare line (an older build) is global', () => {
  const text = 'global /py/lib/libpython3.12.so.1.0\nlocal /t/lib/libtorch.so\nlocal /t/lib/libtorch_python.so\n\n';
  assert.deepEqual(parsePreloads(text), [
    { path: '/py/lib/libpython3.12.so.1.0', global: true },
    { path: '/t/lib/libtorch.so', global: false },
    { path: '/t/lib/libtorch_python.so', global: false },
  ]);
  assert.deepEqual(parsePreloads('/usr/lib/libpython3.11.so.1.0\n'), [{ path: '/usr/lib/libpython3.11.so.1.0', global: true }]);
  assert.deepEqual(parsePreloads('\n'), []);
  // a path with spaces stays whole
  assert.deepEqual(parsePreloads('local /a b/libtorch.so'), [{ path: '/a b/libtorch.so', global: false }]);
});

test('STAD_TORCHVISION_LIB=none at run time: RoIAlign says torchvision is switched off, rather than trying to load a file named none', () => {
  const script = `
    const torch = await import(${JSON.stringify(new URL('../../src/torch/index.js', import.meta.url).href)});
    try { torch.roiAlign(torch.ones([1, 1, 4, 4]), torch.tensor([[0, 0, 0, 2, 2]]), { outputSize: 1, spatialScale: 1 }); console.log('ran'); }
    catch (e) { console.log(e.message); }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, STAD_TORCHVISION_LIB: 'none' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /STAD_TORCHVISION_LIB=none: without torchvision, RoIAlign and NMS are unavailable/);
  assert.doesNotMatch(r.stdout, /cannot load none/);
});
