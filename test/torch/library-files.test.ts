/** What src/torch/library-files.ts reads from the build's torchvision-preload.txt. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
