/** Bringing a killed run's folder back in step with its checkpoint: metric lines after it, torn lines, temporary files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recoverRunFolder, trimMetrics } from '../../src/train/run-recovery.js';
import { INITIAL_STATE, type TrainState } from '../../src/train/checkpoint.js';
import { isUserError } from '../../src/util/errors.js';
import { tempDir } from '../helpers.js';

const state: TrainState = { ...INITIAL_STATE, epoch: 1, iteration: 4, sampler: { epoch: 1, batch: 0 } };
const line = (o: object): string => `${JSON.stringify(o)}\n`;
const lines = [1, 2, 3, 4, 5].map((i) => line({ type: 'train', epoch: i <= 3 ? 1 : 2, batch: i, iter: i, loss: 0.5 }));
const val1 = line({ type: 'val', epoch: 1, all_mAP: 0.5 });
const val2 = line({ type: 'val', epoch: 2, all_mAP: 0.6 });

test('trimMetrics keeps what the checkpoint covers, drops later lines and a torn last line', () => {
  const text = lines.slice(0, 3).join('') + val1 + lines[3]! + lines[4]! + val2 + '{"type":"train","ep';
  const r = trimMetrics(text, 'metrics.jsonl', state);
  assert.equal(r.kept, lines.slice(0, 3).join('') + val1 + lines[3]!);
  assert.equal(r.dropped, 2);
  assert.equal(r.torn, true);
  assert.deepEqual(trimMetrics(lines.slice(0, 4).join(''), 'm', state), { kept: lines.slice(0, 4).join(''), dropped: 0, torn: false });
});

test('a broken line before the last was not written by stad: one-line UserError naming the line', () => {
  assert.throws(
    () => trimMetrics(lines[0]! + 'garbage\n' + lines[1]!, 'run/metrics.jsonl', state),
    (e: unknown) => isUserError(e) && /^run\/metrics\.jsonl: line 2: not a JSON object/.test((e as Error).message),
  );
});

test("recoverRunFolder rewrites metrics.jsonl and removes stad's stale temporary files, nobody else's", () => {
  const { dir, cleanup } = tempDir('stad-recover-');
  try {
    writeFileSync(join(dir, 'metrics.jsonl'), lines.join('') + '{"to');
    const stale = join(dir, '.latest.safetensors.999999.1700000000000.tmp');
    const foreign = join(dir, '.notes.txt.1.2.tmp');
    writeFileSync(stale, 'half');
    writeFileSync(foreign, 'user');
    const notes = recoverRunFolder(dir, state);
    assert.equal(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'), lines.slice(0, 4).join(''));
    assert.ok(!existsSync(stale));
    assert.ok(existsSync(foreign));
    assert.equal(notes.length, 2, notes.join('\n'));
    assert.match(notes[1]!, /dropped a torn last line \(a write cut short\) and 1 line after the checkpoint/);
    assert.deepEqual(recoverRunFolder(dir, state), []);
  } finally {
    cleanup();
  }
});
