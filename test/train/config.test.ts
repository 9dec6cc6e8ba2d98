import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/util/errors.js';
import { LOSS_NAMES } from '../../src/losses/index.js';
import { applySet, CONFIGS_DIR, configPresetNames, describeLR, effectiveLR, loadRunConfig, parseSet, RunConfigSchema } from '../../src/train/config.js';
import { scheduledLR } from '../../src/train/schedule.js';
import { tempDir } from '../helpers.js';

const minimal = {
  model: 'slowonly_r18_tiny',
  loss: { name: 'bce' },
  optim: { name: 'sgd', lr: 0.1, lrBatchSize: 8 },
  batchSize: 8,
  epochs: 3,
};

function withFile(content: unknown, fn: (file: string) => void): void {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'x.json');
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    fn(file);
  } finally {
    cleanup();
  }
}

function userError(re: RegExp) {
  return (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n');
}

test('every preset in configs/ validates (a preset whose loss another branch adds is reported, not failed)', (t) => {
  const names = configPresetNames();
  for (const n of ['via3_slowfast_r50_8x8x1_20e', 'via3_slowfast_r50_8x8x1_20e_focal_bn', 'synth_tiny_bce', 'synth_tiny_focal_bn']) assert.ok(names.includes(n), n);
  for (const n of names) {
    const raw = JSON.parse(readFileSync(join(CONFIGS_DIR, `${n}.json`), 'utf8')) as { loss: { name: string } };
    if (!(LOSS_NAMES as string[]).includes(raw.loss.name)) {
      t.diagnostic(`${n}: loss '${raw.loss.name}' is not in this build yet`);
      continue;
    }
    const { config } = loadRunConfig(n);
    assert.equal(config.model.head.numClasses, 7, n);
  }
});

test('the reference preset is the reference recipe', () => {
  const { config: c } = loadRunConfig('via3_slowfast_r50_8x8x1_20e');
  assert.equal(c.model.backbone.type, 'slowfast');
  assert.deepEqual([c.model.input.frames, c.model.input.frameInterval], [32, 2]);
  assert.equal(c.model.head.dropout, 0.5);
  assert.deepEqual(c.data.augmentation.shortSideRange, [256, 320]);
  assert.equal(c.data.augmentation.cropSize, 256);
  assert.equal(c.data.testShortSide, 256);
  assert.deepEqual([c.optim.name, c.optim.lr, c.optim.lrBatchSize, c.optim.weightDecay, c.gradClip], ['sgd', 0.075, 4, 1e-5, 40]);
  assert.deepEqual(c.schedule, { warmupEpochs: 5, warmupFactor: 0.1, decay: { kind: 'step', milestones: [10, 15], gamma: 0.1 } });
  assert.deepEqual([c.epochs, c.valInterval, c.assigner.posIou, c.assigner.numRois, c.assigner.addGtAsProposals], [20, 1, 0.9, 32, true]);
});

test('config errors are one line naming the file and the field', () => {
  withFile({ ...minimal, optim: { ...minimal.optim, lr: -1 } }, (f) => assert.throws(() => loadRunConfig(f), userError(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: optim\\.lr: expected a positive number$`))));
  withFile({ ...minimal, optim: { ...minimal.optim, lr: 'fast' } }, (f) => assert.throws(() => loadRunConfig(f), userError(/: optim\.lr: expected a positive number$/)));
  withFile({ ...minimal, optim: { ...minimal.optim, momentun: 0.9 } }, (f) => assert.throws(() => loadRunConfig(f), userError(/: optim: unknown field 'momentun'$/)));
  withFile({ ...minimal, bogus: 1 }, (f) => assert.throws(() => loadRunConfig(f), userError(/: \(top level\): unknown field 'bogus'$/)));
  withFile({ ...minimal, model: 'resnet9000' }, (f) => assert.throws(() => loadRunConfig(f), userError(/: model: unknown model preset 'resnet9000' \(known: /)));
  withFile({ ...minimal, loss: { name: 'nope' } }, (f) => assert.throws(() => loadRunConfig(f), userError(/: loss\.name: /)));
  withFile('{"model": ', (f) => assert.throws(() => loadRunConfig(f), userError(/: not valid JSON/)));
  assert.throws(() => loadRunConfig('no_such_preset'), userError(/^--config no_such_preset: no such file and no such preset \(presets: .*synth_tiny_bce/));
});

test('--set parses JSON values, else text, creates missing objects and refuses bad paths', () => {
  assert.deepEqual(parseSet('optim.lr=0.01'), { path: ['optim', 'lr'], value: 0.01 });
  assert.deepEqual(parseSet('data.valBoxes=gt'), { path: ['data', 'valBoxes'], value: 'gt' });
  assert.deepEqual(parseSet('gradClip=null'), { path: ['gradClip'], value: null });
  assert.deepEqual(parseSet('a=[1,2]'), { path: ['a'], value: [1, 2] });
  assert.deepEqual(parseSet('a=x=y'), { path: ['a'], value: 'x=y' });
  assert.throws(() => parseSet('novalue'), userError(/expected key\.path=value/));
  assert.throws(() => parseSet('a.__proto__.b=1'), userError(/bad key path/));
  const o: Record<string, unknown> = structuredClone(minimal);
  applySet(o, 'data.augmentation.cropSize=64');
  assert.deepEqual(o.data, { augmentation: { cropSize: 64 } });
  applySet(o, 'model.head.dropout=0'); // a preset name becomes its full config first
  assert.equal((o.model as { head: { dropout: number } }).head.dropout, 0);
  assert.throws(() => applySet(o, 'epochs.x=1'), userError(/epochs is not an object/));
  withFile(minimal, (f) => {
    const { config } = loadRunConfig(f, { sets: ['optim.momentum=0.5', 'schedule.decay={"kind":"step","milestones":[2]}'], epochs: 7 });
    assert.equal(config.optim.name === 'sgd' && config.optim.momentum, 0.5);
    assert.deepEqual(config.schedule.decay, { kind: 'step', milestones: [2], gamma: 0.1 });
    assert.equal(config.epochs, 7);
    assert.throws(() => loadRunConfig(f, { sets: ['optim.lr=abc'] }), userError(/: optim\.lr: expected a positive number$/));
  });
});

test('a different batch size scales the lr linearly, unless --no-scale-lr; the log says which', () => {
  withFile(minimal, (f) => {
    const same = loadRunConfig(f).config;
    assert.equal(effectiveLR(same), 0.1);
    assert.match(describeLR(same), /^lr 0\.1 for 8 clips per step$/);
    const half = loadRunConfig(f, { batchSize: 4 }).config;
    assert.ok(Math.abs(effectiveLR(half) - 0.05) < 1e-12);
    assert.match(describeLR(half), /scaled linearly from 8 to 4/);
    const acc = loadRunConfig(f, { batchSize: 4, sets: ['accumulate=4'] }).config;
    assert.ok(Math.abs(effectiveLR(acc) - 0.2) < 1e-12);
    const fixed = loadRunConfig(f, { batchSize: 4, scaleLr: false }).config;
    assert.equal(effectiveLR(fixed), 0.1);
    assert.match(describeLR(fixed), /not scaled to 4: --no-scale-lr/);
  });
});

test('the schedule: linear warm-up from the start factor, steps at milestone epochs, cosine to minLR', () => {
  const step = RunConfigSchema.shape.schedule.parse({ warmupEpochs: 2, warmupFactor: 0.1, decay: { kind: 'step', milestones: [3, 4], gamma: 0.1 } });
  const lr = (e: number, b: number) => scheduledLR(step, 1, 5, e, b, 10);
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`);
  close(lr(0, 0), 0.1);
  close(lr(0, 5), 0.1 + 0.9 * 0.25);
  close(lr(1, 0), 0.55);
  close(lr(2, 0), 1);
  close(lr(2, 9), 1);
  close(lr(3, 0), 0.1);
  close(lr(4, 3), 0.01);
  const cos = RunConfigSchema.shape.schedule.parse({ warmupEpochs: 0, decay: { kind: 'cosine', minLR: 0.1 } });
  close(scheduledLR(cos, 1, 4, 0, 0, 8), 1);
  close(scheduledLR(cos, 1, 4, 2, 0, 8), 0.55);
  assert.ok(scheduledLR(cos, 1, 4, 3, 7, 8) < 0.11);
  // the same epoch fraction gives the same lr whatever the epoch's length
  close(scheduledLR(step, 1, 5, 0, 3, 6), scheduledLR(step, 1, 5, 0, 6, 12));
});
