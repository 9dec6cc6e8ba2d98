import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, runCli, tempDir } from '../helpers.js';
import { fakeSmiEnv, writeProcfs } from './fake-nvidia-smi.js';

/** A procfs with the H200 recording's two pids, owned by root (uid 0 is root in every passwd). */
function h200Procfs(dir: string): string {
  const procfs = join(dir, 'proc');
  writeProcfs(procfs, {
    2714: { uid: 0, argv: ['/opt/conda/bin/python3.11', 'tools/train.py', 'configs/slowfast_r50.py'] },
    3391: { uid: 0, argv: ['node', 'dist/src/cli/main.js', 'demo'] },
  });
  return procfs;
}

const HEADER = /^\S+  \w{3} \w{3} \d\d \d\d:\d\d:\d\d \d{4}  \S+$/;

test('stad gpustat -cpu on one H200: header, the GPU line, owner:command/pid(memory) from procfs', () => {
  const t = tempDir();
  try {
    const r = runCli(['gpustat', '-cpu'], { env: fakeSmiEnv('h200', { STAD_PROCFS: h200Procfs(t.dir) }) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.split('\n');
    assert.match(lines[0]!, HEADER);
    assert.ok(lines[0]!.endsWith('  560.35.03'));
    assert.equal(lines[1], '[0] NVIDIA H200 | 47°C,  97 % |  71342 / 143771 MB | 612 / 700 W | root:python3.11/2714(70688M) root:node/3391(532M)');
    assert.deepEqual(lines.slice(2), ['']);
    assert.doesNotMatch(r.stdout, /\x1b/, 'no colours when stdout is not a terminal');
  } finally {
    t.cleanup();
  }
});

test('stad gpustat -c: pids this procfs does not show fall back to nvidia-smi\'s name (spaces and a comma in it)', () => {
  const t = tempDir();
  try {
    const r = runCli(['gpustat', '-c'], { env: fakeSmiEnv('spaces-in-names', { STAD_PROCFS: t.dir }) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[1], '[0] NVIDIA H100 PCIe | 58°C,  84 % | 40966 / 81559 MB | 243 / 350 W | python3(30474M) train worker(10466M)');
  } finally {
    t.cleanup();
  }
});

test('stad gpustat on two GPUs and on a GPU without processes', () => {
  const t = tempDir();
  try {
    const two = runCli(['gpustat'], { env: fakeSmiEnv('two-rtx4090', { STAD_PROCFS: t.dir }) });
    assert.equal(two.code, 0, two.stderr);
    assert.deepEqual(two.stdout.split('\n').slice(1), [
      '[0] NVIDIA GeForce RTX 4090 | 66°C, 100 % | 22817 / 24564 MB | 398 / 450 W | --(22790M)',
      '[1] NVIDIA GeForce RTX 4090 | 34°C,   0 % |    18 / 24564 MB |  22 / 450 W',
      '',
    ]);
    const idle = runCli(['gpustat', '-cp'], { env: fakeSmiEnv('no-processes') });
    assert.equal(idle.code, 0, idle.stderr);
    assert.equal(idle.stdout.split('\n')[1], '[0] NVIDIA H100 80GB HBM3 | 31°C,   0 % |     1 / 81559 MB |  70 / 700 W');
  } finally {
    t.cleanup();
  }
});

test('stad gpustat --json: one object with the parsed values; [N/A] power is null', () => {
  const t = tempDir();
  try {
    const r = runCli(['gpustat', '--json'], { env: fakeSmiEnv('power-na', { STAD_PROCFS: t.dir }) });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { driver_version: string; gpus: Array<Record<string, unknown> & { processes: Array<Record<string, unknown>> }> };
    assert.equal(j.driver_version, '535.183.01');
    assert.equal(j.gpus.length, 1);
    assert.equal(j.gpus[0]!.name, 'NVIDIA GeForce RTX 3060 Laptop GPU');
    assert.equal(j.gpus[0]!['power.draw'], null);
    assert.equal(j.gpus[0]!['memory.used'], 3012);
    assert.deepEqual(j.gpus[0]!.processes.map((p) => [p.pid, p.command, p.gpu_memory_usage]), [
      [1884, 'python3', 2944],
      [2207, null, null],
    ]);
  } finally {
    t.cleanup();
  }
});

test('colours: FORCE_COLOR=1 colours a pipe, --no-color wins over it', () => {
  const env = fakeSmiEnv('h200', { FORCE_COLOR: '1' });
  assert.match(runCli(['gpustat'], { env }).stdout, /\x1b\[/);
  assert.doesNotMatch(runCli(['gpustat', '--no-color'], { env }).stdout, /\x1b/);
  assert.doesNotMatch(runCli(['gpustat', '--json'], { env }).stdout, /\x1b/, 'JSON is never coloured');
});

test('no NVIDIA driver: one line on stderr, exit code 1, nothing on stdout', () => {
  const r = runCli(['gpustat', '-cp'], { env: fakeSmiEnv('driver-error') });
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "stad gpustat: no usable NVIDIA driver: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n");
  const watching = runCli(['gpustat', '-i', '0.1'], { env: fakeSmiEnv('driver-error') });
  assert.equal(watching.code, 1, 'with -i too, when the first refresh fails');
  assert.equal(watching.stderr.split('\n').length, 2);
});

test('nvidia-smi absent from PATH: one line on stderr, exit code 1', () => {
  const t = tempDir();
  try {
    const r = runCli(['gpustat'], { env: { PATH: t.dir } });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'stad gpustat: nvidia-smi not found on PATH: no NVIDIA driver is installed\n');
  } finally {
    t.cleanup();
  }
});

test('a bad -i is a usage error (exit code 2)', () => {
  for (const v of ['0', '-1', 'soon']) {
    const r = runCli(['gpustat', '-i', v], { env: fakeSmiEnv('h200') });
    assert.equal(r.code, 2, v);
    assert.match(r.stderr, /--interval: expected a positive number, got /);
  }
});

/** Runs `stad gpustat args` until `ready(stdout)`, then sends SIGINT; resolves with its exit. */
function runUntilSigint(args: string[], env: Record<string, string>, ready: (stdout: string) => boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'gpustat', ...args], {
      cwd: repoRoot,
      env: { ...process.env, FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!sent && ready(stdout)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

test('-i refreshes until SIGINT, then exits 0: appended blocks when stdout is not a terminal', async () => {
  const blocks = (s: string): number => s.split('\n').filter((l) => HEADER.test(l)).length;
  const r = await runUntilSigint(['-cp', '-i', '0.2'], fakeSmiEnv('two-rtx4090'), (s) => blocks(s) >= 2);
  assert.equal(r.signal, null, r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.ok(blocks(r.stdout) >= 2);
  // each block: header, two GPU lines, a blank line; no cursor movement in a pipe
  assert.doesNotMatch(r.stdout, /\x1b/);
  const first = r.stdout.split('\n\n')[0]!.split('\n');
  assert.equal(first.length, 3);
  assert.match(first[2]!, /^\[1\] NVIDIA GeForce RTX 4090 /);
});

test('-i --json: JSON lines, one complete object per refresh', async () => {
  const r = await runUntilSigint(['--json', '-i', '0.2'], fakeSmiEnv('h200'), (s) => s.split('\n').length > 2);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter(Boolean);
  assert.ok(lines.length >= 2);
  for (const l of lines) assert.equal((JSON.parse(l) as { gpus: unknown[] }).gpus.length, 1);
});
