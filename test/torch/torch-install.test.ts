/**
 * scripts/lib/torch-install.mjs: which torchvision goes with the libtorch the binding is built against,
 * and the build's other facts about it, as functions over given paths, versions and library names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers.js';

type Lib = typeof import('../../scripts/lib/torch-install.mjs');
const lib = (await import(pathToFileURL(join(repoRoot, 'scripts', 'lib', 'torch-install.mjs')).href)) as Lib;

// what Debian's libtorch-dev and a CUDA PyTorch wheel put in their library folders
const DEBIAN_LIBS = ['libc10.so', 'libc10.so.1.13', 'libtorch.so.1.13', 'libtorch_cpu.so', 'libtorch_cpu.so.1.13'];
const WHEEL_LIBS = ['libc10.so', 'libc10_cuda.so', 'libtorch.so', 'libtorch_cpu.so', 'libtorch_cuda.so', 'libtorch_python.so'];
const DEBIAN_TV = {
  path: '/usr/lib/python3/dist-packages/torchvision/_C.cpython-311-x86_64-linux-gnu.so',
  version: '0.14.1a0',
  needed: ['libc10.so.1.13', 'libtorch_cpu.so.1.13', 'libstdc++.so.6', 'libc.so.6'],
};
const WHEEL_TV = {
  path: '/opt/venv/lib/python3.12/site-packages/torchvision/_C.so',
  version: '0.26.0+cu130',
  needed: ['libc10.so', 'libtorch.so', 'libtorch_cpu.so', 'libc10_cuda.so', 'libtorch_cuda.so', 'libcudart.so.13'],
};

test('torchvision is looked for beside the torch it is built against, never in another installation first', () => {
  assert.deepEqual(lib.torchvisionDirsFor({ kind: 'python', torchDir: '/opt/venv/lib/python3.12/site-packages/torch' }), [
    '/opt/venv/lib/python3.12/site-packages/torchvision',
  ]);
  assert.deepEqual(lib.torchvisionDirsFor({ kind: 'libtorch', torchDir: '/opt/venv/site-packages/torch/' }), ['/opt/venv/site-packages/torchvision']);
  assert.deepEqual(lib.torchvisionDirsFor({ kind: 'debian' }), ['/usr/lib/python3/dist-packages/torchvision']);
  assert.deepEqual(lib.torchvisionDirsFor({ kind: 'libtorch' }), [], 'a bare libtorch download has no torchvision beside it');
});

test('a matching torchvision is chosen: Debian with Debian, a CUDA wheel with its own', () => {
  assert.deepEqual(lib.chooseTorchvision({ torchVersion: '1.13.0', torchLibs: DEBIAN_LIBS, candidates: [DEBIAN_TV] }), { path: DEBIAN_TV.path });
  assert.deepEqual(lib.chooseTorchvision({ torchVersion: '2.11.0', torchLibs: WHEEL_LIBS, candidates: [WHEEL_TV] }), { path: WHEEL_TV.path });
});

test("Debian's torchvision beside a CUDA PyTorch is refused: it would load a second libtorch", () => {
  const r = lib.chooseTorchvision({ torchVersion: '2.11.0', torchLibs: WHEEL_LIBS, override: DEBIAN_TV.path, candidates: [DEBIAN_TV] });
  assert.ok('error' in r);
  assert.match(r.error, /needs libc10\.so\.1\.13, libtorch_cpu\.so\.1\.13/);
  assert.match(r.error, /second libtorch/);
  assert.match(r.error, /STAD_TORCHVISION_LIB/);
  assert.doesNotMatch(r.error, /\n/, 'one line');
});

test('a CUDA torchvision beside a CPU-only libtorch is refused (it needs libtorch_cuda)', () => {
  const r = lib.chooseTorchvision({ torchVersion: '1.13.0', torchLibs: DEBIAN_LIBS, candidates: [{ ...WHEEL_TV, version: '0.14.0' }] });
  assert.ok('error' in r);
  assert.match(r.error, /libtorch_cuda\.so/);
});

test('a torchvision of another release is refused even when its libraries resolve', () => {
  const r = lib.chooseTorchvision({ torchVersion: '2.11.0', torchLibs: WHEEL_LIBS, candidates: [{ ...WHEEL_TV, version: '0.25.0' }] });
  assert.ok('error' in r);
  assert.match(r.error, /torchvision 0\.25\.0, but torch 2\.11\.0 goes with torchvision 0\.26/);
  assert.equal(lib.torchvisionMinorFor('1.13.0'), 14);
  assert.equal(lib.torchvisionMinorFor('2.0.1'), 15);
  assert.equal(lib.torchvisionMinorFor('2.11.0+cu130'), 26);
  assert.equal(lib.torchvisionMinorFor('3.0.0'), null, 'unknown pairing: only the libraries are checked');
});

test('none found, none wanted, or a missing override', () => {
  const none = lib.chooseTorchvision({ torchVersion: '2.11.0', torchLibs: WHEEL_LIBS, candidates: [] });
  assert.equal('path' in none && none.path, '');
  assert.ok('note' in none && /RoIAlign/.test(none.note ?? ''));
  const off = lib.chooseTorchvision({ torchVersion: '2.11.0', torchLibs: WHEEL_LIBS, override: 'none', candidates: [WHEEL_TV] });
  assert.equal('path' in off && off.path, '');
  const missing = lib.chooseTorchvision({ torchVersion: '2.11.0', torchLibs: WHEEL_LIBS, override: '/nope/_C.so', candidates: [] });
  assert.ok('error' in missing && /\/nope\/_C\.so: no such library/.test(missing.error));
});

test('the operator library, versions, C++ standard and the libtorch_cuda check', () => {
  assert.equal(lib.operatorLibraryName(['__init__.py', 'image.so', '_C.cpython-311-x86_64-linux-gnu.so']), '_C.cpython-311-x86_64-linux-gnu.so');
  assert.equal(lib.operatorLibraryName(['_C.so', 'version.py']), '_C.so');
  assert.equal(lib.operatorLibraryName(['__init__.py']), null);
  // torchvision 0.29's operators on the stable ABI; its image library is not the operator library
  assert.equal(lib.operatorLibraryName(['image_stable.so', '_C_stable.so', '__init__.py']), '_C_stable.so');
  assert.equal(lib.operatorLibraryName(['_C_stable.so', '_C.so']), '_C.so');
  assert.equal(lib.versionFromHeader('#define TORCH_VERSION_MAJOR 1\n#define TORCH_VERSION_MINOR 13\n#define TORCH_VERSION_PATCH 0\n'), '1.13.0');
  assert.equal(lib.versionFromPy("__version__ = '0.14.1a0'\ngit_version = 'Unknown'\n"), '0.14.1a0');
  assert.equal(lib.cxxStandardFor('2.11.0'), 17);
  assert.equal(lib.cxxStandardFor('2.12.0'), 20);
  assert.equal(lib.cxxStandardFor('1.13.0'), 17);
  const readelf = ` 0x0000000000000001 (NEEDED)             Shared library: [libtorch_cuda.so]\n 0x0000000000000001 (NEEDED)             Shared library: [libc10.so]\n`;
  assert.deepEqual(lib.parseNeeded(readelf), ['libtorch_cuda.so', 'libc10.so']);
  assert.equal(lib.linksTorchCuda(lib.parseNeeded(readelf)), true);
  assert.equal(lib.linksTorchCuda(['libtorch.so', 'libc10.so']), false, '--as-needed dropped it');
});

test("a wheel's torchvision needs libpython loaded first; Debian's does not", () => {
  assert.equal(lib.needsLibpython([...WHEEL_TV.needed, 'libtorch_python.so']), true);
  assert.equal(lib.needsLibpython(DEBIAN_TV.needed), false);
});

test("a wheel's torchvision gets the libtorch libraries the binding does not link preloaded from the binding's own folder, dependencies first", () => {
  // torchvision 0.29's operator library and PyTorch 2.14's torch/lib, as readelf lists them
  const needed = new Map<string, string[]>([
    ['libc10.so', []],
    ['libtorch_cpu.so', ['libc10.so', 'libgomp.so.1']],
    ['libtorch_cuda.so', ['libtorch_cpu.so', 'libc10_cuda.so', 'libnccl.so.2']],
    ['libc10_cuda.so', ['libc10.so']],
    ['libtorch.so', ['libtorch_cpu.so', 'libtorch_cuda.so']],
    ['libshm.so', ['libc10.so', 'libtorch_cpu.so']],
    ['libtorch_python.so', ['libtorch.so', 'libshm.so', 'libtorch_cpu.so', 'libtorch_cuda.so', 'libc10.so']],
  ]);
  const files = [...needed.keys(), 'libgomp.so.1', 'libtorch_global_deps.so'];
  const tv = ['libc10.so', 'libtorch.so', 'libtorch_cpu.so', 'libtorch_python.so', 'libcudart.so.13', 'libc10_cuda.so', 'libtorch_cuda.so', 'libstdc++.so.6'];
  const binding = ['libc10.so', 'libtorch_cpu.so', 'libtorch_cuda.so', 'libc10_cuda.so', 'libstdc++.so.6'];
  const order = lib.torchLibraryPreloads(tv, binding, files, (n) => needed.get(n) ?? []);
  assert.deepEqual(order, ['libtorch.so', 'libshm.so', 'libtorch_python.so']);
  // Debian's torchvision needs only what the binding links: nothing to preload
  assert.deepEqual(lib.torchLibraryPreloads(['libc10.so.1.13', 'libtorch_cpu.so.1.13'], ['libc10.so.1.13', 'libtorch_cpu.so.1.13'], [], () => []), []);
  // a cycle in DT_NEEDED (never in practice) ends
  assert.deepEqual(lib.torchLibraryPreloads(['a.so'], [], ['a.so', 'b.so'], (n) => (n === 'a.so' ? ['b.so'] : ['a.so'])), ['b.so', 'a.so']);
});

test('the version macros are looked for where PyTorch 2.9+ keeps them first (torch/headeronly/version.h), then where 1.x and early 2.x did', () => {
  const paths = lib.versionHeaderPaths('/t/include');
  assert.deepEqual(paths, ['/t/include/torch/headeronly/version.h', '/t/include/torch/csrc/api/include/torch/version.h', '/t/include/torch/version.h']);
  assert.equal(lib.versionFromHeader('#define TORCH_VERSION_MAJOR 2\n#define TORCH_VERSION_MINOR 14\n#define TORCH_VERSION_PATCH 1\n'), '2.14.1');
  // the 2.14 api header only includes the other: no version in it
  assert.equal(lib.versionFromHeader('#include <torch/headeronly/version.h>\n'), null);
});
