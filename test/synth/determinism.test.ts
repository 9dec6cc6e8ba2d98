import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSynthDataset } from '../../src/data/synth/generate.js';
import { tempDir } from '../helpers.js';

const tmp = tempDir('stad-synth-det-');
after(() => tmp.cleanup());

const base = { scale: 0.03, width: 64, height: 48, fps: 5, video: false } as const;

function jsonFiles(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const split of ['train', 'test']) {
    for (const f of readdirSync(join(root, 'annotations', split)).sort()) out.set(`${split}/${f}`, readFileSync(join(root, 'annotations', split, f), 'utf8'));
  }
  out.set('dataset.json', readFileSync(join(root, 'dataset.json'), 'utf8'));
  return out;
}

const someFrames = ['train/seq1/seq1_00001.jpg', 'train/seq1/seq1_00013.jpg', 'test/seq5/seq5_00007.jpg', 'test/seq20/seq20_00010.jpg'];

test('the same seed gives identical projects and frame bytes, in one thread or in workers; another seed does not', async () => {
  const a = join(tmp.dir, 'a');
  const b = join(tmp.dir, 'b');
  const c = join(tmp.dir, 'c');
  await generateSynthDataset({ ...base, out: a, seed: 11, jobs: 1 });
  await generateSynthDataset({ ...base, out: b, seed: 11, jobs: 3 });
  await generateSynthDataset({ ...base, out: c, seed: 12, jobs: 2 });
  const ja = jsonFiles(a);
  const jb = jsonFiles(b);
  assert.deepEqual([...ja.keys()], [...jb.keys()]);
  for (const [k, v] of ja) assert.equal(jb.get(k), v, k);
  // Every frame of one sequence, byte for byte.
  for (const f of readdirSync(join(a, 'images', 'test', 'seq10'))) {
    assert.ok(readFileSync(join(a, 'images', 'test', 'seq10', f)).equals(readFileSync(join(b, 'images', 'test', 'seq10', f))), f);
  }
  for (const f of someFrames) {
    assert.ok(readFileSync(join(a, 'images', f)).equals(readFileSync(join(b, 'images', f))), f);
    assert.ok(!readFileSync(join(a, 'images', f)).equals(readFileSync(join(c, 'images', f))), `${f} differs with another seed`);
  }
  const jc = jsonFiles(c);
  assert.notEqual(jc.get('train/seq1.json'), ja.get('train/seq1.json'));
  // Only the seed differs in dataset.json... and the content that follows from it.
  assert.notEqual(jc.get('dataset.json'), ja.get('dataset.json'));
});
