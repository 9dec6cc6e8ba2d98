/**
 * Hostile and unusual input, by class (issue #12, "Found now"): keys from files that are also names of
 * Object.prototype, names from files that would become paths, output locations that cannot be written,
 * half-written output, user folders stad did not create, sizes that would exhaust memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, truncateSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { runCli, tempDir } from '../helpers.js';
import { parseVia3 } from '../../src/data/via3/read.js';
import { loadDataset } from '../../src/data/dataset.js';
import { avaToVia3, via3ToAva } from '../../src/data/convert.js';
import { decodeSafetensors, encodeSafetensors, type RawTensor } from '../../src/serialization/safetensors.js';
import { readAvaGroundTruth } from '../../src/data/ava.js';
import { ZipReader } from '../../src/serialization/zip.js';
import { UserError } from '../../src/util/errors.js';
import { isSafeFileName } from '../../src/util/names.js';

/** Names that are properties of every plain object. */
const HOSTILE_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

/** An image project whose attribute, option, file, view and metadata ids are all `key`. */
function projectWithIds(key: string, video = 'vid'): string {
  const k = JSON.stringify(key);
  return `{"project":{"pname":"p","vid_list":[${k}]},"config":{},
    "attribute":{${k}:{"aname":"action","anchor_id":"FILE1_Z0_XY1","type":2,"options":{"0":"None",${k}:"walk"},"default_option_id":"0"}},
    "file":{${k}:{"fid":${k},"fname":"${video}_00003.jpg","type":2,"loc":1,"src":""}},
    "view":{${k}:{"fid_list":[${k}]}},
    "metadata":{${k}:{"vid":${k},"flg":0,"z":[],"xy":[2,1,2,3,4],"av":{${k}:${k}}}}}`;
}

test('VIA3: ids equal to names of Object.prototype are ordinary ids (attribute, option, file, view, metadata)', () => {
  for (const key of HOSTILE_KEYS) {
    const a = parseVia3(projectWithIds(key), `p-${key}.json`);
    assert.deepEqual(a.classes, ['None', 'walk'], key);
    assert.equal(a.boxes.length, 1, key);
    assert.deepEqual(a.boxes[0]!.box, [1, 2, 4, 6], key);
    assert.deepEqual(a.boxes[0]!.labels, [1], key);
    assert.equal(a.boxes[0]!.entryId, key);
  }
});

test('VIA3: a view, option or file id that is only inherited (toString) is reported as missing, not crashed on', () => {
  const text = `{"attribute":{"1":{"aname":"a","anchor_id":"FILE1_Z0_XY1","type":2,"options":{"0":"None","1":"x"}}},
    "file":{"1":{"fid":"1","fname":"v_00001.jpg","type":2}},"view":{"1":{"fid_list":["1"]}},
    "metadata":{"m":{"vid":"toString","z":[],"xy":[2,1,1,1,1],"av":{"1":"constructor"}}}}`;
  assert.throws(() => parseVia3(text, 'p.json'), (e: unknown) => e instanceof UserError && /view "toString" is not in "view"/.test(e.message));
});

function writeProject(root: string, split: string, video: string, text: string): void {
  mkdirSync(join(root, 'annotations', split), { recursive: true });
  writeFileSync(join(root, 'annotations', split, `${video}.json`), text);
}

test('dataset.json: split and video names from the file are checked before they become paths', async () => {
  const t = tempDir();
  try {
    for (const bad of ['../../escaped_split', '..', 'a/b', 'a\\b', '/abs', 'x\u0000y', '']) {
      writeFileSync(join(t.dir, 'dataset.json'), JSON.stringify({ splits: { [bad]: ['v'] } }));
      await assert.rejects(loadDataset(t.dir, { probe: false }), (e: unknown) => e instanceof UserError && /dataset\.json: .*cannot be used as a file or folder name/.test(e.message), JSON.stringify(bad));
      writeFileSync(join(t.dir, 'dataset.json'), JSON.stringify({ splits: { train: [bad || 'x/..'] } }));
      await assert.rejects(loadDataset(t.dir, { probe: false }), (e: unknown) => e instanceof UserError && /cannot be used as a file or folder name/.test(e.message), JSON.stringify(bad));
    }
  } finally {
    t.cleanup();
  }
});

test('splits and videos named like Object.prototype properties load, convert and convert back', async () => {
  const t = tempDir();
  try {
    const root = join(t.dir, 'ds');
    const names = ['constructor', 'toString', '__proto__'];
    const splits = new Map<string, string[]>();
    for (const [i, split] of ['constructor', '__proto__', 'train'].entries()) {
      const video = names[i]!;
      writeProject(root, split, video, projectWithIds('1', video));
      splits.set(split, [video]);
    }
    // JSON text, so that "__proto__" is an own key as in a user's file.
    writeFileSync(join(root, 'dataset.json'), `{"width":10,"height":10,"splits":{${[...splits].map(([s, v]) => `${JSON.stringify(s)}:${JSON.stringify(v)}`).join(',')}}}`);
    const ds = await loadDataset(root, { probe: false });
    assert.deepEqual(Object.keys(ds.splits).sort(), ['__proto__', 'constructor', 'train']);
    const ava = join(t.dir, 'ava');
    const s = via3ToAva(ds, ava);
    assert.deepEqual(Object.keys(s.splits).sort(), ['__proto__', 'constructor', 'train']);
    assert.ok(existsSync(join(ava, '__proto__.csv')));
    const sidecar = JSON.parse(readFileSync(join(ava, 'stad-ava.json'), 'utf8')) as { videos: Record<string, { split: string }> };
    assert.ok(Object.prototype.hasOwnProperty.call(sidecar.videos, '__proto__'));
    const back = join(t.dir, 'back');
    avaToVia3(ava, back);
    for (const [split, [video]] of splits) {
      const text = readFileSync(join(back, 'annotations', split, `${video}.json`), 'utf8');
      assert.doesNotMatch(text, /null/, `${split}/${video}`);
      const a = parseVia3(text, 'x');
      assert.deepEqual(a.boxes.map((b) => b.box), [[1, 2, 4, 6]]);
    }
  } finally {
    t.cleanup();
  }
});

test('AVA video ids and split names that would leave --out are refused, and nothing is written', () => {
  const t = tempDir();
  try {
    const ava = join(t.dir, 'ava');
    mkdirSync(ava);
    writeFileSync(join(ava, 'label_map.pbtxt'), 'item { name: "walk" id: 1 }\n');
    for (const bad of ['../../../x', '..', 'a/b', '/etc/x']) {
      writeFileSync(join(ava, 'train.csv'), `ok,1,0.1,0.1,0.5,0.5,1,0\n"${bad}",1,0.1,0.1,0.5,0.5,1,0\n`);
      const out = join(t.dir, 'out', 'deep');
      assert.throws(() => avaToVia3(ava, out, { frameSize: { width: 10, height: 10 } }), (e: unknown) => e instanceof UserError && /train\.csv: video id .* cannot be used/.test(e.message), bad);
      assert.ok(!existsSync(join(t.dir, 'out')), bad);
    }
    assert.deepEqual(readdirSync(t.dir).sort(), ['ava']);
  } finally {
    t.cleanup();
  }
});

test('safetensors: tensors named like Object.prototype properties survive a round trip', () => {
  const tensors = Object.create(null) as Record<string, RawTensor>;
  for (const [i, k] of HOSTILE_KEYS.entries()) tensors[k] = { dtype: 'U8', shape: [1], data: new Uint8Array([i]) };
  const back = decodeSafetensors(new Uint8Array(Buffer.concat(encodeSafetensors(tensors))));
  assert.deepEqual(Object.keys(back.tensors).sort(), [...HOSTILE_KEYS].sort());
  for (const [i, k] of HOSTILE_KEYS.entries()) assert.deepEqual([...back.tensors[k]!.data], [i], k);
});

test('one rule for names that become paths', () => {
  for (const ok of ['seq1', 'a.b', '__proto__', 'constructor', 'x y', '...']) assert.ok(isSafeFileName(ok), ok);
  for (const bad of ['', '.', '..', 'a/b', 'a\\b', '/x', 'C:x', 'a\u0000', 'x'.repeat(300)]) assert.ok(!isSafeFileName(bad), JSON.stringify(bad));
});

/** Exit code 2 and one line on stderr, never an internal error. */
function assertOneLine(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, r.stderr);
  // Progress lines may come before it; the error is one line.
  assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('stad: ')).length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

test('output problems are one line and exit code 2 in every command; nothing is half-written', () => {
  const t = tempDir();
  try {
    const root = join(t.dir, 'ds');
    writeProject(root, 'train', 'v', projectWithIds('1', 'v'));
    writeFileSync(join(root, 'dataset.json'), '{"width":10,"height":10}');
    const file = join(t.dir, 'a-file');
    writeFileSync(file, 'mine');
    assertOneLine(runCli(['stats', '--data', root, '--out', file]), /a-file: .*not a folder/);
    assertOneLine(runCli(['convert', 'via3-to-ava', '--data', root, '--out', file]), /a-file: .*not a folder/);
    assertOneLine(runCli(['convert', 'via3-to-ava', '--data', root, '--out', join(file, 'sub')]), /a-file/);
    assert.equal(readFileSync(file, 'utf8'), 'mine');

    // A later output that is a folder: the earlier ones must not be left behind.
    const out = join(t.dir, 'ava');
    mkdirSync(join(out, 'stad-ava.json'), { recursive: true });
    assertOneLine(runCli(['convert', 'via3-to-ava', '--data', root, '--out', out]), /stad-ava\.json: cannot write: it is a folder/);
    assert.deepEqual(readdirSync(out), ['stad-ava.json']);
    const charts = join(t.dir, 'charts');
    mkdirSync(join(charts, 'stats.json'), { recursive: true });
    assertOneLine(runCli(['stats', '--data', root, '--out', charts]), /stats\.json: cannot write: it is a folder/);
    assert.deepEqual(readdirSync(charts), ['stats.json']);

    assert.equal(runCli(['convert', 'via3-to-ava', '--data', root, '--out', out + '2']).code, 0);
    mkdirSync(join(t.dir, 'back', 'annotations', 'train', 'v.json'), { recursive: true });
    assertOneLine(runCli(['convert', 'ava-to-via3', '--in', out + '2', '--out', join(t.dir, 'back')]), /v\.json: cannot write: it is a folder/);

    assertOneLine(runCli(['eval', '--gt', t.dir, '--pred', join(out + '2', 'train.csv'), '--labels', join(out + '2', 'label_map.pbtxt')]), /cannot read.*it is a folder/);

    if (process.getuid?.() !== 0) {
      const ro = join(t.dir, 'read-only');
      mkdirSync(ro);
      chmodSync(ro, 0o555);
      assertOneLine(runCli(['convert', 'via3-to-ava', '--data', root, '--out', join(ro, 'x')]), /read-only.*(permission denied|read-only)/);
      chmodSync(ro, 0o755);
    }

    const pth = join(t.dir, 'a.pth');
    writeFileSync(pth, 'not a zip at all, but mine');
    assertOneLine(runCli(['convert', 'checkpoint', pth, pth]), /a\.pth: is the input checkpoint/);
    assert.equal(readFileSync(pth, 'utf8'), 'not a zip at all, but mine');
  } finally {
    t.cleanup();
  }
});

test('stad synth never deletes a <out>.partial folder that it did not create', () => {
  const t = tempDir();
  try {
    const out = join(t.dir, 'data');
    mkdirSync(`${out}.partial`);
    writeFileSync(join(`${out}.partial`, 'precious.txt'), 'mine');
    assertOneLine(runCli(['synth', '--out', out]), /data\.partial: exists and was not made by stad synth/);
    assert.equal(readFileSync(join(`${out}.partial`, 'precious.txt'), 'utf8'), 'mine');
  } finally {
    t.cleanup();
  }
});

test('sizes from the file system are checked before allocating: a sparse 1 TiB CSV, a long line', () => {
  const t = tempDir();
  try {
    const csv = join(t.dir, 'huge.csv');
    writeFileSync(csv, 'v,1,0.1,0.1,0.5,0.5,1,0\n');
    truncateSync(csv, 2 ** 40);
    assert.throws(() => readAvaGroundTruth(csv), (e: unknown) => e instanceof UserError && /huge\.csv: line 2: longer than 1048576 bytes/.test(e.message));
  } finally {
    t.cleanup();
  }
});

/** A one-entry ZIP (deflated) whose central directory declares `declared` uncompressed bytes. */
function zipOf(name: string, data: Uint8Array, declared: number): Uint8Array {
  const comp = deflateRawSync(data);
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(comp.length, 18);
  local.writeUInt32LE(declared, 22);
  local.writeUInt16LE(n.length, 26);
  const cd = Buffer.alloc(46);
  cd.writeUInt32LE(0x02014b50, 0);
  cd.writeUInt16LE(8, 10);
  cd.writeUInt32LE(comp.length, 20);
  cd.writeUInt32LE(declared, 24);
  cd.writeUInt16LE(n.length, 28);
  cd.writeUInt32LE(0, 42);
  const cdStart = local.length + n.length + comp.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(cd.length + n.length, 12);
  eocd.writeUInt32LE(cdStart, 16);
  return new Uint8Array(Buffer.concat([local, n, comp, cd, n, eocd]));
}

test('a zip bomb is refused from its declared sizes, and inflating stops at the declared size', () => {
  const t = tempDir();
  try {
    const bomb = new Uint8Array(64 * 1024 * 1024); // 64 MiB of zeros deflate to about 64 KiB
    const lying = join(t.dir, 'lying.zip');
    writeFileSync(lying, zipOf('a/data.pkl', bomb, 1000));
    const z1 = new ZipReader(lying);
    try {
      assert.throws(() => z1.read('a/data.pkl'), (e: unknown) => e instanceof UserError && /lying\.zip: entry "a\/data\.pkl": cannot inflate/.test(e.message));
    } finally {
      z1.close();
    }
    const honest = join(t.dir, 'honest.zip');
    writeFileSync(honest, zipOf('a/data.pkl', bomb, bomb.length));
    const z2 = new ZipReader(honest);
    try {
      assert.throws(() => z2.read('a/data.pkl', 1024 * 1024), (e: unknown) => e instanceof UserError && /over the 1048576-byte limit/.test(e.message));
    } finally {
      z2.close();
    }
  } finally {
    t.cleanup();
  }
});
