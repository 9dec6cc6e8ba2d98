// The binding loaded in a worker thread has its own tensor table: tensors made there are not visible
// in the main thread and vice versa, and both can run operators at the same time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import * as torch from '../../src/torch/index.js';
import { native, type Handle } from '../../src/torch/native.js';
import { repoRoot } from '../helpers.js';

const nativeUrl = pathToFileURL(join(repoRoot, 'dist', 'src', 'torch', 'native.js')).href;

interface WorkerReport {
  liveAtStart: number;
  mainHandleError: string | null;
  handle: Handle;
  shape: number[];
  liveAfterCreate: number;
  liveAfterLoop: number;
}

// CommonJS source run with `eval: true`; it imports the compiled binding module like any caller.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { native } = await import(workerData.nativeUrl);
  const liveAtStart = native.memory().liveTensors;
  let mainHandleError = null;
  try { native.shape(workerData.mainHandle); } catch (e) { mainHandleError = e.message; }
  const handle = native.ones([3]);
  const shape = native.shape(handle);
  const liveAfterCreate = native.memory().liveTensors;
  // operators while the main thread runs its own
  const one = native.ones([4]);
  for (let i = 0; i < workerData.iters; i++) native.free(native.add(one, one));
  native.free(one);
  parentPort.postMessage({ liveAtStart, mainHandleError, handle, shape, liveAfterCreate, liveAfterLoop: native.memory().liveTensors });
})().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

function runWorker(mainHandle: Handle, iters: number): { report: Promise<WorkerReport>; exited: Promise<number> } {
  const w = new Worker(workerSource, { eval: true, workerData: { nativeUrl, mainHandle, iters } });
  const report = new Promise<WorkerReport>((resolve, reject) => {
    w.once('message', (m: WorkerReport | { error: string }) => ('error' in m ? reject(new Error(m.error)) : resolve(m)));
    w.once('error', reject);
  });
  const exited = new Promise<number>((resolve) => w.once('exit', resolve));
  return { report, exited };
}

test('a worker thread that loads the binding has its own tensor table', async () => {
  const mine = torch.keep(torch.ones([2]));
  const before = torch.memory().liveTensors;
  assert.ok(before >= 1);
  const { report, exited } = runWorker(mine.id, 0);
  const r = await report;
  assert.equal(await exited, 0);
  // the worker starts empty and cannot reach the main thread's tensor
  assert.equal(r.liveAtStart, 0);
  assert.match(r.mainHandleError ?? '', /^shape: tensor #\d+ was disposed \(or never existed\)/);
  assert.deepEqual(r.shape, [3]);
  assert.equal(r.liveAfterCreate, 1);
  // the worker's tensor is not in the main thread's table (its handle, if live here, is one of ours)
  assert.equal(torch.memory().liveTensors, before);
  if (native.isLive(r.handle)) assert.notDeepEqual(native.shape(r.handle), [3]);
  assert.deepEqual(mine.shape, [2]);
  mine.dispose();
});

test('the main thread and a worker run operators concurrently, each table staying consistent', async () => {
  const iters = 20_000;
  const before = torch.memory().liveTensors;
  const { report, exited } = runWorker(-1, iters);
  const one = torch.keep(torch.ones([4]));
  // interleave with the worker's loop: yield now and then so that both threads are busy at once
  for (let k = 0; k < 20; k++) {
    for (let i = 0; i < iters / 20; i++) {
      torch.tidy(() => {
        one.add(one);
      });
    }
    await new Promise((r) => setImmediate(r));
  }
  const r = await report;
  assert.equal(await exited, 0);
  assert.equal(r.liveAfterLoop, r.liveAfterCreate, 'the worker freed what it made');
  one.dispose();
  assert.equal(torch.memory().liveTensors, before);
});
