import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  clearGpuQueryCache,
  NvidiaSmiError,
  parseComputeAppsCsv,
  parseGpuCsv,
  queryGpus,
  readComputeApps,
  readGpus,
  runNvidiaSmi,
  selectGpu,
  splitFields,
  type GpuStatus,
} from '../../src/gpu/nvidia-smi.js';
import { tempDir } from '../helpers.js';
import { fakeSmiEnv, gpuFixtures, withEnv } from './fake-nvidia-smi.js';

const recorded = (name: string, file: string): string => readFileSync(join(gpuFixtures, name, file), 'utf8');

test('one H200: every field of --query-gpu parsed', () => {
  assert.deepEqual(parseGpuCsv(recorded('h200', 'query-gpu.csv')), [
    {
      index: 0,
      uuid: 'GPU-5e7c2b1a-9f3d-4c86-a0e2-7b41d9c8f356',
      name: 'NVIDIA H200',
      driverVersion: '560.35.03',
      temperatureC: 47,
      utilizationPct: 97,
      memoryUsedMiB: 71342,
      memoryTotalMiB: 143771,
      powerDrawW: 612.47,
      powerLimitW: 700,
    },
  ]);
  assert.deepEqual(parseComputeAppsCsv(recorded('h200', 'query-compute-apps.csv')), [
    { gpuUuid: 'GPU-5e7c2b1a-9f3d-4c86-a0e2-7b41d9c8f356', pid: 2714, usedMemoryMiB: 70688, processName: '/opt/conda/bin/python3.11' },
    { gpuUuid: 'GPU-5e7c2b1a-9f3d-4c86-a0e2-7b41d9c8f356', pid: 3391, usedMemoryMiB: 532, processName: '/usr/bin/node' },
  ]);
});

test('two RTX 4090s: two GPUs in index order, one process', () => {
  const gpus = parseGpuCsv(recorded('two-rtx4090', 'query-gpu.csv'));
  assert.deepEqual(gpus.map((g) => [g.index, g.name, g.memoryUsedMiB, g.memoryTotalMiB, g.utilizationPct, g.powerDrawW]), [
    [0, 'NVIDIA GeForce RTX 4090', 22817, 24564, 100, 398.21],
    [1, 'NVIDIA GeForce RTX 4090', 18, 24564, 0, 21.63],
  ]);
  const apps = parseComputeAppsCsv(recorded('two-rtx4090', 'query-compute-apps.csv'));
  assert.equal(apps.length, 1);
  assert.equal(apps[0]!.gpuUuid, gpus[0]!.uuid);
});

test('no processes: empty output (and the sentence some drivers print instead) is an empty list', () => {
  assert.deepEqual(parseComputeAppsCsv(recorded('no-processes', 'query-compute-apps.csv')), []);
  assert.deepEqual(parseComputeAppsCsv('No running processes found\n'), []);
  assert.equal(parseGpuCsv(recorded('no-processes', 'query-gpu.csv'))[0]!.name, 'NVIDIA H100 80GB HBM3');
});

test('process names with spaces and a comma: the last column is the rest of the line', () => {
  const apps = parseComputeAppsCsv(recorded('spaces-in-names', 'query-compute-apps.csv'));
  assert.deepEqual(
    apps.map((a) => [a.pid, a.usedMemoryMiB, a.processName]),
    [
      [90117, 30474, '/home/ana/my experiments/.venv/bin/python3'],
      [90342, 10466, '/srv/jobs/run 3, seed 7/train worker'],
    ],
  );
  assert.deepEqual(splitFields('a, b, c, d, e', 3), ['a', 'b', 'c, d, e']);
  assert.deepEqual(splitFields('a, b', 3), null);
  // nvidia-smi puts one space after a comma: a second one is part of the name
  assert.deepEqual(splitFields('a, b,  two spaces\r', 3), ['a', 'b', ' two spaces']);
});

test('[N/A] and [Not Supported] values are null, not zero or NaN', () => {
  const [g] = parseGpuCsv(recorded('power-na', 'query-gpu.csv'));
  assert.equal(g!.powerDrawW, null);
  assert.equal(g!.powerLimitW, null);
  assert.equal(g!.memoryTotalMiB, 6144);
  const apps = parseComputeAppsCsv(recorded('power-na', 'query-compute-apps.csv'));
  assert.deepEqual(apps[1], { gpuUuid: 'GPU-3d8a61f0-95be-c247-0f1d-6e2b84a7c9d5', pid: 2207, usedMemoryMiB: null, processName: null });
  const [h] = parseGpuCsv('0, GPU-x, [Not Supported], [Not Supported], [Unknown Error], 10, 20, N/A, [N/A], Tesla T4\n');
  assert.deepEqual([h!.driverVersion, h!.temperatureC, h!.utilizationPct, h!.powerDrawW, h!.powerLimitW, h!.name], [null, null, null, null, null, 'Tesla T4']);
});

test('output that is not the queried CSV is an NvidiaSmiError naming the line and field', () => {
  assert.throws(() => parseGpuCsv('0, GPU-x, 550.54.15\n'), (e: unknown) => e instanceof NvidiaSmiError && /line 1: expected 10 fields/.test(e.message));
  assert.throws(() => parseGpuCsv('0, GPU-x, 550, hot, 1, 2, 3, 4, 5, A100\n'), (e: unknown) => e instanceof NvidiaSmiError && /temperature\.gpu: expected a number, got "hot"/.test(e.message));
  assert.throws(() => parseComputeAppsCsv('GPU-x, -4, 10, python\n'), (e: unknown) => e instanceof NvidiaSmiError && /pid/.test(e.message));
});

test('readGpus and readComputeApps run nvidia-smi (the fake on PATH) with the documented queries', async () => {
  await withEnv(fakeSmiEnv('two-rtx4090'), async () => {
    const gpus = await readGpus();
    assert.equal(gpus.length, 2);
    const apps = await readComputeApps();
    assert.deepEqual(apps.map((a) => a.pid), [48213]);
  });
});

test('the driver error (exit 9) is an NvidiaSmiError "no-driver" with nvidia-smi\'s own sentence', async () => {
  await withEnv(fakeSmiEnv('driver-error'), async () => {
    await assert.rejects(readGpus(), (e: unknown) => {
      assert.ok(e instanceof NvidiaSmiError);
      assert.equal(e.reason, 'no-driver');
      assert.match(e.message, /^no usable NVIDIA driver: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  });
});

test('nvidia-smi absent from PATH is an NvidiaSmiError "missing"', async () => {
  const t = tempDir();
  try {
    await withEnv({ PATH: t.dir }, async () => {
      await assert.rejects(readGpus(), (e: unknown) => e instanceof NvidiaSmiError && e.reason === 'missing' && /not found on PATH/.test(e.message));
    });
  } finally {
    t.cleanup();
  }
});

test('an nvidia-smi that hangs is stopped by the timeout', async () => {
  // node standing in for a hung nvidia-smi
  await assert.rejects(runNvidiaSmi(['-e', 'setTimeout(() => {}, 60000)'], { command: process.execPath, timeoutMs: 300 }), (e: unknown) => e instanceof NvidiaSmiError && e.reason === 'failed' && /gave no answer/.test(e.message));
});

test('queryGpus: the GPUs, null without a driver or nvidia-smi, one spawn per 2 s', async () => {
  const t = tempDir();
  const log = join(t.dir, 'calls.log');
  const calls = (): number => {
    try {
      return readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  try {
    clearGpuQueryCache();
    await withEnv(fakeSmiEnv('h200', { STAD_FAKE_NVIDIA_SMI_LOG: log }), async () => {
      const [a, b] = await Promise.all([queryGpus(), queryGpus()]);
      const c = await queryGpus();
      assert.equal(a?.[0]?.name, 'NVIDIA H200');
      assert.equal(b, a);
      assert.equal(c, a);
      assert.equal(calls(), 1, 'calls within the cache time share one nvidia-smi spawn');
      clearGpuQueryCache();
      await queryGpus();
      assert.equal(calls(), 2);
    });
    clearGpuQueryCache();
    await withEnv(fakeSmiEnv('driver-error'), async () => assert.equal(await queryGpus(), null));
    clearGpuQueryCache();
    await withEnv({ PATH: t.dir }, async () => assert.equal(await queryGpus(), null));
  } finally {
    clearGpuQueryCache();
    t.cleanup();
  }
});

test('selectGpu maps cuda:N through CUDA_VISIBLE_DEVICES (indices or UUID prefixes)', () => {
  const gpus: GpuStatus[] = parseGpuCsv(recorded('two-rtx4090', 'query-gpu.csv'));
  assert.equal(selectGpu(gpus, 1, undefined)?.index, 1);
  assert.equal(selectGpu(gpus, 0, '1')?.index, 1);
  assert.equal(selectGpu(gpus, 1, '1,0')?.index, 0);
  assert.equal(selectGpu(gpus, 0, 'GPU-a83d5e17')?.index, 1);
  assert.equal(selectGpu(gpus, 0, 'a83d5e17-60c9')?.index, 1);
  assert.equal(selectGpu(gpus, 0, 'GPU-')?.index, undefined, 'an ambiguous prefix matches nothing');
  assert.equal(selectGpu(gpus, 2, '0,1'), undefined);
  assert.equal(selectGpu(gpus, 0, '7'), undefined);
});
