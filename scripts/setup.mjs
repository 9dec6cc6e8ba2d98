#!/usr/bin/env node
// Every entry point (npm test, npm run demo, npm run bench, npm run stad) runs this first.
// It is idempotent and quick when everything is in place:
//   1. the Debian packages stad needs (installed with apt-get when missing and running as root,
//      otherwise the exact command is printed and we stop);
//   2. `npm ci` when node_modules is missing or older than package-lock.json;
//   3. the native binding (native/, CMake) when missing or older than its sources;
//   4. the TypeScript build when any .ts file is newer than the last build.
// Plain JavaScript with Node built-ins only: it must run before anything is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, readdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const args = new Set(process.argv.slice(2));
const forceBuild = args.has('--force-build');
const quiet = !process.stdout.isTTY || process.env.CI === 'true';

function log(msg) {
  process.stderr.write(`[setup] ${msg}\n`);
}

function run(cmd, cmdArgs, opts = {}) {
  log(`$ ${cmd} ${cmdArgs.join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    log(`command failed (exit ${r.status ?? r.signal}): ${cmd} ${cmdArgs.join(' ')}`);
    process.exit(r.status || 1);
  }
}

// ---- 1. Debian packages -------------------------------------------------------------------------
// libtorch-dev: tensors, autograd, kernels. python3-torchvision: torchvision's compiled operator
// library (roi_align, nms), which our binding dlopens; it also brings python3-torch, the PyTorch of the
// same libtorch that the benchmarks compare against. ffmpeg: video decoding. cmake, g++, make: the build.
// libgloo-dev: the Gloo headers c10d's CPU process group needs (multi-process training).
// chromium: the headless browser the HTML report's test opens the report in (driven by playwright-core,
// which must never download a browser of its own).
// A machine that brings its own libtorch ($LIBTORCH, e.g. a CUDA PyTorch on a GPU machine) and has no
// Debian package manager skips this step.
const debianPackages = ['libtorch-dev', 'libgloo-dev', 'python3-torchvision', 'python3-torch', 'ffmpeg', 'cmake', 'g++', 'make', 'chromium'];

function missingDebianPackages() {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...debianPackages], {
    encoding: 'utf8',
  });
  if (r.error) return null; // not a Debian system
  const installed = new Set(
    r.stdout
      .split('\n')
      .filter((l) => l.endsWith(' installed'))
      .map((l) => l.split(' ')[0]),
  );
  return debianPackages.filter((p) => !installed.has(p));
}

if (!process.env.STAD_SKIP_APT) {
  const missing = missingDebianPackages();
  if (missing === null) {
    if (!process.env.LIBTORCH) log('not a Debian system: set LIBTORCH to a libtorch folder (include/, lib/)');
  } else if (missing.length > 0) {
    const cmd = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing.join(' ')}`;
    if (process.getuid && process.getuid() === 0) {
      log(`installing Debian packages: ${missing.join(' ')}`);
      run('sh', ['-c', cmd], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    } else {
      process.stderr.write(`stad needs these Debian packages: ${missing.join(' ')}\nRun as root:\n  ${cmd}\n`);
      process.exit(1);
    }
  }
}

// ---- 2. npm packages ----------------------------------------------------------------------------
function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

const lockStamp = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(lockStamp) || mtime(lockStamp) < mtime(join(root, 'package-lock.json'))) {
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

// ---- 3. native binding --------------------------------------------------------------------------
function newestUnder(dir, exts, skip = new Set()) {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skip.has(entry.name)) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestUnder(p, exts, skip));
    else if (exts.some((e) => entry.name.endsWith(e))) newest = Math.max(newest, mtime(p));
  }
  return newest;
}

const addon = join(root, 'native', 'build', 'stad_native.node');
const nativeSrc = Math.max(
  newestUnder(join(root, 'native'), ['.cc', '.h', '.txt', '.cmake'], new Set(['build'])),
  mtime(join(root, 'scripts', 'build-native.mjs')),
);
if (forceBuild || !existsSync(addon) || mtime(addon) < nativeSrc) {
  run(process.execPath, [join(root, 'scripts', 'build-native.mjs')]);
}

// ---- 4. TypeScript ------------------------------------------------------------------------------
const tsStamp = join(root, 'dist', '.tsbuildinfo');
const tsSrc = Math.max(
  newestUnder(join(root, 'src'), ['.ts']),
  newestUnder(join(root, 'test'), ['.ts']),
  newestUnder(join(root, 'bench'), ['.ts']),
  mtime(join(root, 'tsconfig.json')),
);
if (forceBuild || !existsSync(tsStamp) || mtime(tsStamp) < tsSrc) {
  log('$ tsc -p tsconfig.json');
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
    stdio: 'inherit',
    cwd: root,
  });
  if (r.status !== 0) {
    // Forget the incremental state so that the next run compiles (and reports the errors) again.
    rmSync(tsStamp, { force: true });
    log('TypeScript build failed');
    process.exit(r.status || 1);
  }
}
// tsc never deletes outputs: after a source file is renamed or removed, its old .js would still be
// imported by stale code and, for a test, still run by scripts/test.mjs. Drop every output whose
// source is gone (cheap: one walk of dist/).
const OUTPUT_EXTS = ['.d.ts.map', '.d.ts', '.js.map', '.js'];
function pruneStale(outDir, srcDir) {
  if (!existsSync(outDir)) return;
  for (const entry of readdirSync(outDir, { withFileTypes: true })) {
    const out = join(outDir, entry.name);
    if (entry.isDirectory()) {
      pruneStale(out, join(srcDir, entry.name));
      if (readdirSync(out).length === 0) rmSync(out, { recursive: true, force: true });
      continue;
    }
    const ext = OUTPUT_EXTS.find((e) => entry.name.endsWith(e));
    if (ext && !existsSync(join(srcDir, `${entry.name.slice(0, -ext.length)}.ts`))) rmSync(out, { force: true });
  }
}
for (const dir of ['src', 'test', 'bench']) pruneStale(join(root, 'dist', dir), join(root, dir));
if (!quiet) log('ready');
