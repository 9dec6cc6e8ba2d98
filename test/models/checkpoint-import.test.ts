import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { fixtures, tempDir } from '../helpers.js';
import { UserError } from '../../src/util/errors.js';
import { convertCheckpoint, convertStateDict, detectArchitecture, detectFormat, pyslowfastToStad } from '../../src/models/checkpoint-import.js';
import { readSafetensors, type RawTensor } from '../../src/serialization/safetensors.js';
import { addCheckpointSubcommand } from '../../src/cli/commands/convert-checkpoint.js';

const dir = join(fixtures, 'ckpt');

test('PySlowFast SlowFast names map to mmaction2 names', () => {
  const cases: [string, string | null][] = [
    ['s1.pathway0_stem.conv.weight', 'backbone.slow_path.conv1.conv.weight'],
    ['s1.pathway1_stem.bn.running_var', 'backbone.fast_path.conv1.bn.running_var'],
    ['s2.pathway0_res0.branch1.weight', 'backbone.slow_path.layer1.0.downsample.conv.weight'],
    ['s2.pathway0_res0.branch1_bn.num_batches_tracked', 'backbone.slow_path.layer1.0.downsample.bn.num_batches_tracked'],
    ['s3.pathway1_res3.branch2.a.weight', 'backbone.fast_path.layer2.3.conv1.conv.weight'],
    ['s4.pathway0_res5.branch2.b_bn.bias', 'backbone.slow_path.layer3.5.conv2.bn.bias'],
    ['s5.pathway0_res2.branch2.c_bn.weight', 'backbone.slow_path.layer4.2.conv3.bn.weight'],
    ['s1_fuse.conv_f2s.weight', 'backbone.slow_path.conv1_lateral.conv.weight'],
    ['s2_fuse.conv_f2s.weight', 'backbone.slow_path.layer1_lateral.conv.weight'],
    ['s4_fuse.bn.running_mean', 'backbone.slow_path.layer3_lateral.bn.running_mean'],
    ['head.projection.weight', null],
  ];
  for (const [from, to] of cases) assert.equal(pyslowfastToStad(from, 'slowfast'), to, from);
  assert.equal(pyslowfastToStad('s3.pathway0_res1.branch2.b.weight', 'slowonly'), 'backbone.layer2.1.conv2.conv.weight');
  assert.throws(() => pyslowfastToStad('s5_fuse.conv_f2s.weight', 'slowfast'), /no stad name/);
  assert.throws(() => pyslowfastToStad('s2.pathway0_res0.branch2.a_nl.weight', 'slowfast'), /no stad name/);
  assert.throws(() => pyslowfastToStad('s2.pathway1_res0.branch1.weight', 'slowonly'), /pathway1 in a SlowOnly/);
});

test('format and architecture detection', () => {
  assert.equal(detectFormat(['module.s1.pathway0_stem.conv.weight']), 'pyslowfast');
  assert.equal(detectFormat(['backbone.conv1.conv.weight', 'cls_head.fc_cls.weight']), 'mmaction2');
  assert.equal(detectArchitecture(['s1.pathway0_stem.conv.weight', 's2.pathway0_res0.branch1.weight'], 'pyslowfast'), 'slowonly');
  assert.equal(detectArchitecture(['s1.pathway1_stem.conv.weight'], 'pyslowfast'), 'slowfast');
  assert.equal(detectArchitecture(['backbone.conv1.conv.weight'], 'mmaction2'), 'slowonly');
  assert.equal(detectArchitecture(['backbone.fast_path.conv1.conv.weight'], 'mmaction2'), 'slowfast');
});

const t = (n: number): RawTensor => ({ dtype: 'F32', shape: [n], data: new Uint8Array(4 * n) });

test('mmaction2: identity, module. prefix stripped, cls_head dropped with a note, missing num_batches_tracked added', () => {
  const c = convertStateDict('x.pth', {
    'module.backbone.conv1.conv.weight': t(3),
    'module.backbone.conv1.bn.weight': t(2),
    'module.backbone.conv1.bn.bias': t(2),
    'module.backbone.conv1.bn.running_mean': t(2),
    'module.backbone.conv1.bn.running_var': t(2),
    'module.cls_head.fc_cls.weight': t(4),
  });
  assert.equal(c.format, 'mmaction2');
  assert.equal(c.architecture, 'slowonly');
  assert.deepEqual(Object.keys(c.tensors).sort(), [
    'backbone.conv1.bn.bias',
    'backbone.conv1.bn.num_batches_tracked',
    'backbone.conv1.bn.running_mean',
    'backbone.conv1.bn.running_var',
    'backbone.conv1.bn.weight',
    'backbone.conv1.conv.weight',
  ]);
  const nbt = c.tensors['backbone.conv1.bn.num_batches_tracked']!;
  assert.equal(nbt.dtype, 'I64');
  assert.deepEqual(nbt.shape, []);
  assert.deepEqual([...nbt.data], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(c.dropped.map((d) => d.name), ['module.cls_head.fc_cls.weight']);
  assert.ok(c.notes.some((n) => /stripped the "module\." prefix from 6 names/.test(n)));
  assert.ok(c.notes.some((n) => /dropped 1 classification-head tensors \(cls_head\.\*\)/.test(n)));
  assert.ok(c.notes.some((n) => /added num_batches_tracked = 0 to 1 BatchNorm/.test(n)));
});

test('an unknown PySlowFast name is a UserError naming file and parameter', () => {
  assert.throws(
    () => convertStateDict('k.pth', { 's1.pathway0_stem.conv.weight': t(1), 's2.pathway0_res0.branch2.a_nl.weight': t(1) }),
    (e: unknown) => e instanceof UserError && e.message === 'k.pth: s2.pathway0_res0.branch2.a_nl.weight: no stad name for PySlowFast parameter "s2.pathway0_res0.branch2.a_nl.weight"',
  );
});

function same(a: RawTensor, b: RawTensor): boolean {
  return a.dtype === b.dtype && a.shape.join() === b.shape.join() && Buffer.from(a.data).equals(Buffer.from(b.data));
}

test('convertCheckpoint: the PySlowFast and mmaction2 fixtures (same tensors, two namings) give the same safetensors tensors', () => {
  const { dir: tmp, cleanup } = tempDir();
  try {
    const mmOut = join(tmp, 'mm.safetensors');
    const sfOut = join(tmp, 'sf.safetensors');
    const rm = convertCheckpoint(join(dir, 'mmaction2_tiny.pth'), mmOut);
    const rs = convertCheckpoint(join(dir, 'pyslowfast_tiny.pth'), sfOut);
    assert.deepEqual([rm.format, rm.architecture, rm.container], ['mmaction2', 'slowfast', 'state_dict']);
    assert.deepEqual([rs.format, rs.architecture, rs.container], ['pyslowfast', 'slowfast', 'model_state']);
    const mm = readSafetensors(mmOut);
    const sf = readSafetensors(sfOut);
    assert.equal(mm.metadata['source'], 'mmaction2_tiny.pth');
    assert.equal(mm.metadata['format'], 'mmaction2');
    assert.equal(sf.metadata['format'], 'pyslowfast');
    assert.ok(JSON.parse(sf.metadata['notes']!).some((n: string) => /_lateral\.bn/.test(n)));
    // Heads: mmaction2's cls_head and PySlowFast's head.projection are dropped; roi_head is kept.
    assert.ok(!Object.keys(mm.tensors).some((n) => n.startsWith('cls_head.')));
    assert.ok(mm.tensors['roi_head.bbox_head.fc_cls.weight']);
    assert.ok(!Object.keys(sf.tensors).some((n) => n.startsWith('head.')));
    // Every converted PySlowFast tensor equals the mmaction2 tensor of the same (converted) name, except
    // the lateral BatchNorm that only PySlowFast has.
    const sfNames = Object.keys(sf.tensors).filter((n) => !n.includes('_lateral.bn.'));
    assert.equal(sfNames.length, 23);
    for (const n of sfNames) assert.ok(mm.tensors[n] && same(sf.tensors[n]!, mm.tensors[n]!), n);
    assert.deepEqual(Object.keys(sf.tensors).filter((n) => n.includes('_lateral.bn.')).sort(), [
      'backbone.slow_path.conv1_lateral.bn.bias',
      'backbone.slow_path.conv1_lateral.bn.num_batches_tracked',
      'backbone.slow_path.conv1_lateral.bn.running_mean',
      'backbone.slow_path.conv1_lateral.bn.running_var',
      'backbone.slow_path.conv1_lateral.bn.weight',
    ]);
    // Only non-head, non-lateral-BN names: the mmaction2 file additionally has its two extra-dtype tensors and roi_head.
    const onlyMm = Object.keys(mm.tensors).filter((n) => !sf.tensors[n]).sort();
    assert.deepEqual(onlyMm, ['backbone.fast_path.layer2.0.index', 'backbone.fast_path.layer2.0.mask', 'roi_head.bbox_head.fc_cls.bias', 'roi_head.bbox_head.fc_cls.weight']);
  } finally {
    cleanup();
  }
});

test('stad convert checkpoint: the subcommand converts and reports; bad input is a UserError', async () => {
  const { dir: tmp, cleanup } = tempDir();
  const written: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  try {
    const program = new Command().exitOverride();
    addCheckpointSubcommand(program.command('convert'));
    const out = join(tmp, 'out.safetensors');
    process.stdout.write = ((s: string) => (written.push(String(s)), true)) as typeof process.stdout.write;
    await program.parseAsync(['convert', 'checkpoint', join(dir, 'pyslowfast_tiny.pth'), out], { from: 'user' });
    process.stdout.write = write;
    const text = written.join('');
    assert.match(text, /pyslowfast slowfast checkpoint \(state dict under "model_state"\)/);
    assert.match(text, /wrote .*out\.safetensors: 28 tensors, [\d,]+ parameters/);
    assert.equal(Object.keys(readSafetensors(out).tensors).length, 28);
    await assert.rejects(
      program.parseAsync(['convert', 'checkpoint', join(dir, 'evil_reduce.pth'), join(tmp, 'evil.safetensors')], { from: 'user' }),
      (e: unknown) => e instanceof UserError && /refusing/.test(e.message),
    );
  } finally {
    process.stdout.write = write;
    cleanup();
  }
});

test('every parameter of the reference SlowFast R50 (bench/reference) is reachable from its PySlowFast name', () => {
  // test/fixtures/models/slowfast_r50_81.json is written by `bench/reference/slowfast.py --spec`: the
  // state-dict names and shapes of the PyTorch reference, which uses mmaction2's names.
  const spec = JSON.parse(readFileSync(join(fixtures, 'models', 'slowfast_r50_81.json'), 'utf8')) as {
    parameters: number;
    tensors: Record<string, { dtype: string; shape: number[] }>;
  };
  assert.equal(spec.parameters, 33_830_265);
  assert.equal(Object.keys(spec.tensors).length, 642);
  // The inverse mapping, written independently of the converter, from PySlowFast's module structure.
  const toPySlowFast = (n: string): string => {
    let m = /^backbone\.(slow|fast)_path\.conv1\.(conv|bn)\.(\w+)$/.exec(n);
    if (m) return `s1.pathway${m[1] === 'slow' ? 0 : 1}_stem.${m[2]}.${m[3]}`;
    m = /^backbone\.(slow|fast)_path\.layer(\d)\.(\d+)\.(conv[123]|downsample)\.(conv|bn)\.(\w+)$/.exec(n);
    if (m) {
      const branch = m[4] === 'downsample' ? (m[5] === 'conv' ? 'branch1' : 'branch1_bn') : `branch2.${'abc'[Number(m[4]!.slice(4)) - 1]}${m[5] === 'bn' ? '_bn' : ''}`;
      return `s${Number(m[2]) + 1}.pathway${m[1] === 'slow' ? 0 : 1}_res${m[3]}.${branch}.${m[6]}`;
    }
    m = /^backbone\.slow_path\.(conv1|layer1|layer2|layer3)_lateral\.conv\.(\w+)$/.exec(n);
    if (m) return `s${['conv1', 'layer1', 'layer2', 'layer3'].indexOf(m[1]!) + 1}_fuse.conv_f2s.${m[2]}`;
    throw new Error(`no PySlowFast name for ${n}`);
  };
  const source: Record<string, RawTensor> = {};
  const backbone = Object.keys(spec.tensors).filter((n) => !n.startsWith('roi_head.'));
  for (const n of backbone) source[toPySlowFast(n)] = { dtype: 'F32', shape: spec.tensors[n]!.shape, data: new Uint8Array(0) };
  source['head.projection.weight'] = { dtype: 'F32', shape: [400, 2304], data: new Uint8Array(0) };
  const c = convertStateDict('pyslowfast_r50.pth', source);
  assert.equal(c.architecture, 'slowfast');
  assert.deepEqual(Object.keys(c.tensors).sort(), [...backbone].sort());
  for (const n of backbone) assert.deepEqual(c.tensors[n]!.shape, spec.tensors[n]!.shape, n);
});
