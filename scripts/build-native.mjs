#!/usr/bin/env node
// Builds native/ (the Node-API binding to libtorch) with CMake into native/build/stad_native.node.
//
// libtorch is looked for in this order (the first that exists wins):
//   1. $LIBTORCH: a folder with include/ and lib/ (a libtorch download, or a PyTorch's torch/ folder);
//   2. the torch package of `python3`, if it imports (its cmake prefix path: a CUDA PyTorch on GPU machines);
//   3. Debian's libtorch-dev under /usr.
// Node-API headers: $NODE_API_HEADERS, else the running Node's own include/node, else /usr/include/node.
// We drive CMake ourselves rather than through cmake-js or node-gyp because both fetch Node headers from
// the network by default, and the GPU machines have none; a Node-API addon needs only the headers.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

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
    return { source: `$LIBTORCH (${dir})`, prefixPath: existsSync(cmakeDir) ? cmakeDir : dir, libDir: join(dir, 'lib') };
  }
  for (const py of ['python3']) {
    const r = spawnSync(py, ['-c', 'import torch, os; print(torch.utils.cmake_prefix_path); print(os.path.dirname(torch.__file__))'], {
      encoding: 'utf8',
    });
    if (r.status === 0) {
      const [prefix, torchDir] = r.stdout.trim().split('\n');
      // Debian's python3-torch is the same library as libtorch-dev: report it as Debian's.
      if (!torchDir.startsWith('/usr/lib/python3')) {
        return { source: `python3 torch (${torchDir})`, prefixPath: prefix, libDir: join(torchDir, 'lib') };
      }
    }
  }
  if (existsSync('/usr/lib/x86_64-linux-gnu/cmake/Torch') || existsSync('/usr/lib/aarch64-linux-gnu/cmake/Torch') || existsSync('/usr/share/cmake/Torch')) {
    return { source: 'Debian libtorch-dev (/usr)', prefixPath: '/usr', libDir: '' };
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

const torch = findTorch();
const nodeHeaders = findNodeHeaders();
const addonApi = dirname(require.resolve('node-addon-api/package.json'));
process.stderr.write(`[build-native] libtorch: ${torch.source}\n`);
mkdirSync(buildDir, { recursive: true });
sh('cmake', [
  '-S', join(root, 'native'),
  '-B', buildDir,
  '-DCMAKE_BUILD_TYPE=Release',
  `-DCMAKE_PREFIX_PATH=${torch.prefixPath}`,
  `-DNODE_API_HEADERS=${nodeHeaders}`,
  `-DNODE_ADDON_API_DIR=${addonApi}`,
  `-DSTAD_TORCH_SOURCE=${torch.source}`,
  `-DSTAD_TORCH_LIBDIR=${torch.libDir}`,
]);
sh('cmake', ['--build', buildDir, '--config', 'Release', '-j', String(Math.max(1, Math.min(4, (await import('node:os')).cpus().length)))]);
writeFileSync(join(buildDir, 'torch-source.txt'), torch.source + '\n');
