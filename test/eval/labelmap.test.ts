/** Label maps: both layouts, the real AVA file, writing, and one-line errors naming the line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, sharedFixtures, tempDir } from '../helpers.js';
import { formatLabelMap, makeLabelMap, parseLabelMap, readLabelMap } from '../../src/data/labelmap.js';
import { UserError } from '../../src/util/errors.js';
import { writeFileAtomic } from '../../src/util/fs.js';

const AVA = join(sharedFixtures, 'ava', 'ava_action_list_v2.1_for_activitynet_2018.pbtxt');

test('the real AVA v2.1 label map: 60 evaluated classes out of ids 1..80', () => {
  const m = readLabelMap(AVA);
  assert.equal(m.ids.length, 60);
  assert.equal(m.ids[0], 1);
  assert.equal(m.names.get(1), 'bend/bow (at the waist)');
  assert.equal(m.ids[1], 3, 'id 2 is not evaluated');
  assert.equal(m.names.get(80), 'watch (a person)');
  assert.equal(m.names.get(79), 'talk to (e.g., self, a person, a group)');
  assert.equal(m.names.has(2), false);
});

test('one-line and multi-line layouts give the same map', () => {
  const one = readLabelMap(join(fixtures, 'eval', 'labelmap-oneline.pbtxt'));
  const multi = readLabelMap(join(fixtures, 'eval', 'labelmap-multiline.pbtxt'));
  assert.deepEqual(one.ids, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...one.names], [...multi.names]);
  const mixed = parseLabelMap('item { name: \'a b\' id: 7 } item {\n  id: 2\n  display_name: "c \\"q\\""\n}\nitem: { label_id: 3, name: "d" extra { x: 1 } }', 'mixed');
  assert.deepEqual([...mixed.names], [
    [7, 'a b'],
    [2, 'c "q"'],
    [3, 'd'],
  ]);
});

test('formatLabelMap writes the multi-line layout that reads back the same (and that the official line reader accepts)', () => {
  const { dir, cleanup } = tempDir();
  try {
    const m = readLabelMap(AVA);
    const path = join(dir, 'sub', 'labels.pbtxt');
    writeFileAtomic(path, formatLabelMap(m));
    const text = readFileSync(path, 'utf8');
    assert.equal(text, readFileSync(AVA, 'utf8'));
    const back = readLabelMap(path);
    assert.deepEqual(back.ids, m.ids);
    assert.deepEqual([...back.names], [...m.names]);
    assert.equal(formatLabelMap(makeLabelMap([[4, 'x']])), 'item {\n  name: "x"\n  id: 4\n}\n');
    assert.throws(() => formatLabelMap(makeLabelMap([[4, 'say "hi"']])), UserError);
  } finally {
    cleanup();
  }
});

test('malformed label maps: one error naming the file and the line', () => {
  const bad: [string, RegExp][] = [
    ['item {\n  name: "a"\n  id: 1\n}\nitem {\n  name: "b"\n  id: 1\n}\n', /^f\.pbtxt: line 7: duplicate class id 1 \(first on line 3\)$/],
    ['item { name: "a" id: 1 }\nitem { name: "a" id: 2 }', /^f\.pbtxt: line 2: duplicate class name "a" \(first on line 1\)$/],
    ['item { name: "a" id: 0 }', /line 1: class id 0 must be a positive integer/],
    ['item { name: "a" id: x1 }', /line 1: id: expected an integer, got "x1"/],
    ['item { name: "a" }', /line 1: item has no 'id'/],
    ['item { id: 3 }', /line 1: item has no 'name'/],
    ['item {\n name: "a"\n id: 1\n', /item opened on line 1 is not closed/],
    ['item { name: "a id: 1 }', /line 1: unterminated string/],
    ['thing { }', /line 1: expected 'item \{', got "thing"/],
    ['', /^f\.pbtxt: label map has no items/],
  ];
  for (const [text, pattern] of bad) {
    assert.throws(() => parseLabelMap(text, 'f.pbtxt'), (e: unknown) => e instanceof UserError && pattern.test(e.message), text);
  }
  assert.throws(() => makeLabelMap([[1, 'a'], [1, 'b']]), /duplicate class id/);
});
