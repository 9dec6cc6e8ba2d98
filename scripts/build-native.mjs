#!/usr/bin/env node
// Builds native/ (the Node-API binding to libtorch) with CMake into native/build/stad_native.node.
//
// libtorch is looked for in this order (the first that exists wins):
//   1. $LIBTORCH: a folder with include/ and lib/ (a libtorch download, or a PyTorch's torch/ folder);
//   2. the torch package of `python3`, if it imports (its cmake prefix path: a CUDA PyTorch on GPU machines);
//   3. Debian's libtorch-dev under /usr.
// Node-API headers: $NODE_API_HEADERS, else the running Node's own include/node, else /usr/include/node.
// torchvision's operator library is resolved here from the same installation as that libtorch and baked
// into the binding (scripts/lib/torch-install.mjs says why); $STAD_TORCHVISION_LIB overrides it ('none':
// without). A libtorch with CUDA must give a binding that links libtorch_cuda: checked with readelf.
// We drive CMake ourselves rather than through cmake-js or node-gyp because both fetch Node headers from
// the network by default, and the GPU machines have none; a Node-API addon needs only the headers.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

import {
  chooseTorchvision,
  cxxStandardFor,
  linksTorchCuda,
  needsLibpython,
  operatorLibraryName,
  torchLibraryPreloads,
  parseNeeded,
  torchvisionDirsFor,
  versionFromHeader,
  versionFromPy,
  versionHeaderPaths,
} from './lib/torch-install.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const buildDir = join(root, 'native', 'build');

function sh(cmd, args) {
  process.stderr.write(`[build-native] $ ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exit(r.status || 1);
}

function findTorch() {
  if (process.env.LIBTORCH) {
    const dir = process.env.LIBTORCH;
    const cmakeDir = join(dir, 'share', 'cmake');
    if (!existsSync(join(dir, 'include')) || !existsSync(join(dir, 'lib'))) {
      console.error(`LIBTORCH=${dir}: expected a folder with include/ and lib/`);
      process.exit(2);
    }
    // a PyTorch's torch/ package folder (what .device-carry/env.sh sets) has its torchvision beside it
    const isPackage = existsSync(join(dir, '__init__.py'));
    return {
      source: `$LIBTORCH (${dir})`, kind: 'libtorch', torchDir: isPackage ? dir : undefined,
      prefixPath: existsSync(cmakeDir) ? cmakeDir : dir, libDir: join(dir, 'lib'), includeDir: join(dir, 'include'),
    };
  }
  for (const py of ['python3']) {
    const r = spawnSync(py, ['-c', 'import torch, os; print(torch.utils.cmake_prefix_path); print(os.path.dirname(torch.__file__))'], {
      encoding: 'utf8',
    });
    if (r.status === 0) {
      const [prefix, torchDir] = r.stdout.trim().split('\n');
      // Debian's python3-torch is the same library as libtorch-dev: report it as Debian's.
      if (!torchDir.startsWith('/usr/lib/python3')) {
        return { source: `python3 torch (${torchDir})`, kind: 'python', torchDir, prefixPath: prefix, libDir: join(torchDir, 'lib'), includeDir: join(torchDir, 'include') };
      }
    }
  }
  if (existsSync('/usr/lib/x86_64-linux-gnu/cmake/Torch') || existsSync('/usr/lib/aarch64-linux-gnu/cmake/Torch') || existsSync('/usr/share/cmake/Torch')) {
    return { source: 'Debian libtorch-dev (/usr)', kind: 'debian', prefixPath: '/usr', libDir: '', includeDir: '/usr/include' };
  }
  console.error('libtorch not found: install Debian libtorch-dev, or set LIBTORCH to a folder with include/ and lib/');
  process.exit(2);
}

function findNodeHeaders() {
  const candidates = [
    process.env.NODE_API_HEADERS,
    join(dirname(dirname(process.execPath)), 'include', 'node'),
    '/usr/include/node',
  ].filter(Boolean);
  for (const c of candidates) if (existsSync(join(c, 'node_api.h'))) return c;
  console.error('Node-API headers (node_api.h) not found: set NODE_API_HEADERS');
  process.exit(2);
}

function readelfNeeded(path) {
  const r = spawnSync('readelf', ['-d', path], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`readelf -d ${path} failed (binutils is needed to check the build): ${r.stderr || r.error}`);
    process.exit(2);
  }
  return parseNeeded(r.stdout);
}

// Whether a libtorch was built with the C++11 string ABI (its exported names mention __cxx11): the
// binding must use the same, or std::string arguments do not link.
function cxx11Abi(libDir) {
  const r = spawnSync('nm', ['-D', '--defined-only', join(libDir, 'libc10.so')], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return r.status === 0 && r.stdout.includes('__cxx11') ? 1 : 0;
}

function torchVersionOf(torch) {
  const candidates = versionHeaderPaths(torch.includeDir);
  for (const h of candidates) {
    if (existsSync(h)) {
      const v = versionFromHeader(readFileSync(h, 'utf8'));
      if (v) return v;
    }
  }
  console.error(`libtorch at ${torch.source}: no TORCH_VERSION_MAJOR/MINOR in any of ${candidates.join(', ')}`);
  process.exit(2);
}

// The file names of the libtorch's own libraries (what a torchvision built for it may need).
function torchLibraryNames(torch) {
  const dir = torch.libDir || ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu'].find((d) => existsSync(d));
  return dir && existsSync(dir) ? readdirSync(dir).filter((f) => /^lib(c10|torch)/.test(f)) : [];
}

function torchvisionCandidate(path) {
  const versionPy = join(dirname(path), 'version.py');
  return { path, version: existsSync(versionPy) ? versionFromPy(readFileSync(versionPy, 'utf8')) : null, needed: readelfNeeded(path) };
}

function resolveTorchvision(torch, torchVersion) {
  const override = process.env.STAD_TORCHVISION_LIB;
  let candidates = [];
  if (override && override !== 'none') {
    candidates = existsSync(override) ? [torchvisionCandidate(override)] : [];
  } else if (!override) {
    for (const d of torchvisionDirsFor(torch)) {
      const lib = existsSync(d) ? operatorLibraryName(readdirSync(d)) : null;
      if (lib) candidates.push(torchvisionCandidate(join(d, lib)));
    }
  }
  const r = chooseTorchvision({ torchVersion, torchLibs: torchLibraryNames(torch), override, candidates });
  if ('error' in r) {
    console.error(`[build-native] torchvision: ${r.error}`);
    process.exit(2);
  }
  if (r.note) process.stderr.write(`[build-native] torchvision: ${r.note}\n`);
  return r.path;
}

// A wheel's torchvision needs libtorch_python, which needs libpython's symbols: the binding loads this
// libpython first (src/torch/native.ts), from native/build/torchvision-preload.txt.
function libpythonFor(tvPath) {
  if (!tvPath || !needsLibpython(readelfNeeded(tvPath))) return '';
  const r = spawnSync('python3', ['-c', "import sysconfig, os; print(os.path.join(sysconfig.get_config_var('LIBDIR'), sysconfig.get_config_var('INSTSONAME') or sysconfig.get_config_var('LDLIBRARY')))"], { encoding: 'utf8' });
  const lib = r.status === 0 ? r.stdout.trim() : '';
  if (!lib || !existsSync(lib)) {
    process.stderr.write(`[build-native] torchvision: ${tvPath} needs libtorch_python, and python3 names no shared libpython (${lib || 'none'}): RoIAlign may fail to load\n`);
    return '';
  }
  return lib;
}

// What src/torch/library-files.ts loads before torchvision's libraries, one per line: 'global <libpython>'
// (libtorch_python takes Python's symbols from the process), then 'local <library>' for each library of
// the libtorch folder that torchvision needs and the binding does not load (torchLibraryPreloads).
function torchvisionPreloads(tvPath, addonNeeded, libDirFiles) {
  if (!tvPath) return [];
  const lines = [];
  const libpython = libpythonFor(tvPath);
  if (libpython) lines.push(`global ${libpython}`);
  if (torch.libDir) {
    const neededOf = (name) => readelfNeeded(join(torch.libDir, name));
    for (const name of torchLibraryPreloads(readelfNeeded(tvPath), addonNeeded, libDirFiles, neededOf)) {
      lines.push(`local ${join(torch.libDir, name)}`);
    }
  }
  return lines;
}

// c10d's NCCL process group: built in when the libtorch has it (its libtorch_cuda exports
// ProcessGroupNCCL) and the headers ProcessGroupNCCL.hpp includes are found (nccl.h, CUDA's runtime
// headers). STAD_NCCL=0 leaves it out; STAD_NCCL=1 insists (an error when it cannot be built);
// STAD_CUDA_INCLUDE (':'-separated) adds header folders to look in first.
function ncclConfig(torch) {
  const want = (process.env.STAD_NCCL ?? '').toUpperCase();
  if (want === '0' || want === 'OFF') return { on: false, why: 'STAD_NCCL=0' };
  const refuse = (why) => {
    if (want === '1' || want === 'ON') {
      console.error(`[build-native] STAD_NCCL=1, but NCCL cannot be built in: ${why}`);
      process.exit(2);
    }
    return { on: false, why };
  };
  const cudaLib = torch.libDir ? join(torch.libDir, 'libtorch_cuda.so') : '';
  if (!cudaLib || !existsSync(cudaLib)) return refuse('the libtorch has no libtorch_cuda');
  const nm = spawnSync('sh', ['-c', 'nm -D --defined-only "$1" | grep -c ProcessGroupNCCL', 'sh', cudaLib], { encoding: 'utf8' });
  if (!(Number(nm.stdout.trim()) > 0)) return refuse(`${cudaLib} has no ProcessGroupNCCL (a PyTorch built without NCCL)`);
  const site = torch.torchDir ? dirname(torch.torchDir) : '';
  const nvidia = site ? join(site, 'nvidia') : '';
  const candidates = [
    ...(process.env.STAD_CUDA_INCLUDE ?? '').split(':').filter(Boolean),
    // a PyTorch wheel's CUDA packages: nvidia/nccl/include, nvidia/cu13/include (CUDA 13), nvidia/cuda_runtime/include (12) ...
    ...(nvidia && existsSync(nvidia) ? readdirSync(nvidia).sort().map((d) => join(nvidia, d, 'include')) : []),
    process.env.CUDA_HOME ? join(process.env.CUDA_HOME, 'include') : '',
    '/usr/local/cuda/include',
  ].filter((d) => d && existsSync(d));
  const has = (h) => candidates.some((d) => existsSync(join(d, h)));
  for (const h of ['nccl.h', 'cuda_runtime_api.h', 'crt/host_config.h']) {
    if (!has(h)) return refuse(`${h} not found (looked in ${candidates.join(', ') || 'no folder'}; set STAD_CUDA_INCLUDE)`);
  }
  return { on: true, includes: [...new Set(candidates)] };
}

const torch = findTorch();
const torchVersion = torchVersionOf(torch);
const torchvisionLib = resolveTorchvision(torch, torchVersion);
const nodeHeaders = findNodeHeaders();
const addonApi = dirname(require.resolve('node-addon-api/package.json'));
const nccl = ncclConfig(torch);
process.stderr.write(`[build-native] libtorch ${torchVersion}: ${torch.source}; torchvision: ${torchvisionLib || 'none'}; NCCL: ${nccl.on ? 'yes' : `no (${nccl.why})`}\n`);
mkdirSync(buildDir, { recursive: true });
// CMake keeps what it found in its cache (Torch_DIR, the direct-link fallback's settings): a build
// folder configured for another libtorch would go on using that one. Start its configuration afresh.
const builtFor = join(buildDir, 'torch-source.txt');
if (existsSync(join(buildDir, 'CMakeCache.txt')) && (!existsSync(builtFor) || readFileSync(builtFor, 'utf8').trim() !== torch.source)) {
  process.stderr.write(`[build-native] ${buildDir} was configured for another libtorch: configuring afresh\n`);
  rmSync(join(buildDir, 'CMakeCache.txt'), { force: true });
  rmSync(join(buildDir, 'CMakeFiles'), { recursive: true, force: true });
}
const configure = (extra) => [
  '-S', join(root, 'native'),
  '-B', buildDir,
  '-DCMAKE_BUILD_TYPE=Release',
  // the libtorch's own folder too: TorchConfig.cmake's find_library calls search the prefixes' lib/
  // before the system's, and a system libtorch (Debian's libc10.so) would otherwise be linked beside it
  `-DCMAKE_PREFIX_PATH=${[torch.prefixPath, torch.libDir ? dirname(torch.libDir) : ''].filter(Boolean).join(';')}`,
  `-DNODE_API_HEADERS=${nodeHeaders}`,
  `-DNODE_ADDON_API_DIR=${addonApi}`,
  `-DSTAD_TORCH_SOURCE=${torch.source}`,
  `-DSTAD_TORCH_LIBDIR=${torch.libDir}`,
  `-DSTAD_TORCHVISION_LIB=${torchvisionLib}`,
  `-DSTAD_CXX_STANDARD=${cxxStandardFor(torchVersion)}`,
  `-DSTAD_NO_CUDA_MEMORY_STATS=${process.env.STAD_NO_CUDA_MEMORY_STATS === '1' ? 'ON' : 'OFF'}`,
  `-DSTAD_NCCL=${nccl.on ? 'ON' : 'OFF'}`,
  ...(nccl.on ? [`-DSTAD_NCCL_INCLUDE=${nccl.includes.join(';')}`] : []),
  ...extra,
];
process.stderr.write(`[build-native] $ cmake ${configure([]).join(' ')}\n`);
if (spawnSync('cmake', configure([]), { stdio: 'inherit', cwd: root }).status !== 0) {
  // A CUDA PyTorch's CMake package also looks for the CUDA toolkit (nvcc, nvToolsExt, cuDNN headers),
  // which the binding does not need: it compiles no CUDA code. Link that libtorch directly instead,
  // as torch.utils.cpp_extension does for a C++-only extension.
  if (!torch.libDir) process.exit(1);
  process.stderr.write('[build-native] configuring through TorchConfig.cmake failed; linking the libtorch directly\n');
  rmSync(join(buildDir, 'CMakeCache.txt'), { force: true });
  sh('cmake', configure(['-DSTAD_TORCH_DIRECT=ON', `-DSTAD_TORCH_INCLUDE=${torch.includeDir}`, `-DSTAD_TORCH_CXX11_ABI=${cxx11Abi(torch.libDir)}`]));
}
sh('cmake', ['--build', buildDir, '--config', 'Release', '-j', String(Math.max(1, Math.min(16, (await import("node:os")).cpus().length)))]);
// A libtorch with CUDA must give a binding that loads libtorch_cuda, or CUDA reports unavailable.
const addonPath = join(buildDir, 'stad_native.node');
const addonNeeded = readelfNeeded(addonPath);
const libDirFiles = torch.libDir ? readdirSync(torch.libDir) : [];
if (libDirFiles.some((f) => /^libtorch_cuda\.so/.test(f)) && !linksTorchCuda(addonNeeded)) {
  console.error(`[build-native] ${addonPath} does not link libtorch_cuda although ${torch.libDir} has it: CUDA would report unavailable (see native/CMakeLists.txt, --no-as-needed)`);
  process.exit(2);
}
// Every libtorch library the binding links must be this libtorch's: one from another installation
// would load two libtorches into the process.
if (torch.libDir) {
  const mine = new Set(libDirFiles);
  const foreign = addonNeeded.filter((n) => /^lib(c10|torch)/.test(n) && !mine.has(n));
  if (foreign.length > 0) {
    console.error(`[build-native] ${addonPath} links ${foreign.join(', ')}, which ${torch.libDir} does not have: another libtorch installation was linked beside this one (see CMAKE_PREFIX_PATH above; the CMake cache is removed, so that the next build configures afresh)`);
    rmSync(join(buildDir, 'CMakeCache.txt'), { force: true });
    rmSync(addonPath, { force: true });
    process.exit(2);
  }
}
writeFileSync(join(buildDir, 'torch-source.txt'), torch.source + '\n');
writeFileSync(join(buildDir, 'torchvision-preload.txt'), torchvisionPreloads(torchvisionLib, addonNeeded, libDirFiles).join('\n') + '\n');
