import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, sharedFixtures } from '../helpers.js';
import { parseVia3, readVia3, via3FromJson } from '../../src/data/via3/read.js';
import { buildVia3Project } from '../../src/data/via3/write.js';
import { UserError } from '../../src/util/errors.js';

const data = join(fixtures, 'data');
const refA = join(data, 'ref-style', 'annotations', 'train', 'seqA.json');
const clip1 = join(data, 'video-style', 'annotations', 'train', 'clip1.json');

/** Asserts a UserError whose one-line message matches every pattern. */
function throwsUser(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `message must be one line: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

test('an image project per video (reference form): frames from file names, boxes in pixels, multi-label, skips counted', () => {
  const a = readVia3(refA);
  assert.deepEqual(a.classes, ['None', 'handshake', 'point', 'hug', 'push', 'kick', 'punch']);
  assert.deepEqual(a.actionAttribute, { id: '1', name: 'person', anchor: 'FILE1_Z0_XY1' });
  assert.deepEqual(a.videos, ['seqA']);
  assert.deepEqual(a.files.map((f) => f.frameIndex), [1, 2, 3, 5]);
  assert.deepEqual(
    a.boxes.map((b) => [b.frameIndex, b.labels]),
    [
      [1, [1]],
      [1, [1]],
      [2, [1, 3]], // stored as "3,1": click order is not kept, labels are sorted
      [2, [0]],
      [5, [4]],
    ],
  );
  assert.deepEqual(a.boxes[2]!.box, [10.5, 5.25, 30.5, 35.25]);
  assert.deepEqual(a.boxes[4]!.box, [12, 8, 34, 41.125]);
  assert.ok(a.boxes.every((b) => b.time === null && b.score === null && b.videoId === 'seqA'));
  assert.deepEqual(a.skipped, { temporalSegment: 0, fileLevel: 1, nonRectangle: 2, otherFile: 0 });
});

test('a video project: integer fids, view ids that differ from file ids, boxes at z=[t], the lowest-id region checkbox', () => {
  const a = readVia3(clip1);
  assert.deepEqual(a.actionAttribute, { id: '2', name: 'action', anchor: 'FILE1_Z1_XY1' });
  assert.deepEqual(a.classes, ['None', 'walk', 'wave']);
  assert.deepEqual(a.videos, ['clip1']);
  assert.deepEqual(a.files, [{ fid: '7', fileName: 'clip1.mp4', kind: 'video', videoId: 'clip1', frameIndex: null }]);
  assert.deepEqual(a.boxes.map((b) => [b.time, b.labels, b.box]), [
    [1, [1], [10, 20, 60, 120]],
    [1, [1, 2], [100, 20, 150, 130]],
    [2.5, [2], [12, 22, 62, 122]],
  ]);
  assert.deepEqual(a.skipped, { temporalSegment: 1, fileLevel: 0, nonRectangle: 1, otherFile: 0 });
});

test('the action attribute can be named; options without a None get a synthetic background at index 0', () => {
  const a = readVia3(clip1, { actionAttribute: 'visibility' });
  assert.deepEqual(a.classes, ['None', 'visible', 'occluded']);
  assert.deepEqual(a.optionIds, [null, 'a', 'b']);
  assert.deepEqual(a.boxes.map((b) => b.labels), [[1], [2], []]);
  assert.equal(readVia3(clip1, { actionAttribute: '3' }).actionAttribute?.name, 'visibility');
  throwsUser(() => readVia3(clip1, { actionAttribute: 'pose' }), /clip1\.json: attribute: no CHECKBOX attribute .* "pose"/, /"action" \(id 2\)/);
});

test('a None option anywhere becomes class 0; the other options keep their order', () => {
  const p = JSON.parse(readFileSync(refA, 'utf8')) as { attribute: Record<string, { options: Record<string, string> }> };
  p.attribute['1']!.options = { x: 'alpha', n: 'none', y: 'beta' };
  const a = via3FromJson(JSON.parse(JSON.stringify(p).replace(/"av":\{"1":"[^"]*"\}/g, '"av":{"1":"y,n"}')), 'p.json');
  assert.deepEqual(a.classes, ['none', 'alpha', 'beta']);
  assert.deepEqual(a.boxes[0]!.labels, [0, 2]);
});

test('proposal scores come from a TEXT attribute named score; without it the score is null', () => {
  const p = readVia3(join(data, 'video-style', 'annotations', 'train', 'clip1_proposal.json'));
  assert.deepEqual(p.boxes.map((b) => b.score), [0.93, 0.71, 0.5]);
  const r = readVia3(join(data, 'ref-style', 'annotations', 'train', 'seqA_proposal.json'));
  assert.deepEqual(r.boxes.map((b) => [b.score, b.labels]), [
    [null, [0]],
    [null, [0]],
    [null, [0]],
    [null, [0]],
  ]);
});

test('every real VIA3 project in shared/fixtures/via3 parses: temporal segments only, counted as skipped', () => {
  const dir = join(sharedFixtures, 'via3');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.equal(files.length, 6);
  const expected: Record<string, { segments: number; videos: number }> = {
    '01NVb-003-061-2-4CV_and_EF.json': { segments: 3, videos: 1 },
    '01NVb-003-070-2-4CV.json': { segments: 4, videos: 1 },
    '01NVb-003-077-1-4CV.json': { segments: 0, videos: 1 },
    '01NVb_003_072_T2_4CV.json': { segments: 3, videos: 1 },
    'echo_4CV_template.json': { segments: 0, videos: 0 },
    'via_project_06Oct2021_19h11m26s.json': { segments: 13, videos: 4 },
  };
  for (const f of files) {
    const key = f.split('__')[1]!;
    const want = expected[key];
    assert.ok(want, `unexpected fixture ${f}`);
    const a = readVia3(join(dir, f));
    assert.equal(a.boxes.length, 0, f);
    // Their checkboxes are anchored on temporal segments (FILE1_Z2_XY0), so none is an action attribute.
    assert.equal(a.actionAttribute, null, f);
    assert.deepEqual(a.classes, [], f);
    assert.equal(a.skipped.temporalSegment, want.segments, f);
    assert.equal(a.videos.length, want.videos, f);
  }
});

test('a real project truncated, or with a box on its video but no time, fails naming the file and the field', () => {
  const f = join(sharedFixtures, 'via3', 'vital-ultrasound_ai-echocardiography-for-low-resource-countries__01NVb-003-061-2-4CV_and_EF.json');
  const text = readFileSync(f, 'utf8');
  throwsUser(() => parseVia3(text.slice(0, 700), 'cut.json'), /^cut\.json: not valid JSON/);
  const p = JSON.parse(text) as { metadata: Record<string, { z: number[]; xy: number[] }> };
  p.metadata['1_hyUUadTA'] = { ...p.metadata['1_hyUUadTA']!, z: [], xy: [2, 1, 2, 3, 4] };
  throwsUser(() => via3FromJson(p, 'edited.json'), /^edited\.json: metadata\["1_hyUUadTA"\]\.z: a box on a video frame needs z = \[t\]/);
});

test('malformed projects: one-line errors naming file, entry and field', () => {
  const bad = join(data, 'bad');
  throwsUser(() => readVia3(join(bad, 'truncated.json')), /truncated\.json: not valid JSON/);
  throwsUser(() => readVia3(join(bad, 'unknown-option.json')), /unknown-option\.json: metadata\["2_k0000002"\]\.av\["1"\]: option id "9" is not an option of attribute "person"/);
  throwsUser(() => readVia3(join(bad, 'negative-width.json')), /negative-width\.json: metadata\["1_k0000001"\]\.xy: negative width -33/);
  throwsUser(() => readVia3(join(bad, 'missing-xy.json')), /missing-xy\.json: metadata\["1_k0000000"\]\.xy: missing field \(expected array\)/);
  throwsUser(() => readVia3(join(bad, 'no-such-file.json')), /no-such-file\.json: cannot read VIA3 project: no such file$/);
  throwsUser(() => parseVia3('', 'empty.json'), /empty\.json: not valid JSON \(the file is empty\)/);
  throwsUser(() => parseVia3('[1,2]', 'arr.json'), /arr\.json: expected a JSON object/);
});

test('inconsistent references and odd values are errors, not crashes', () => {
  const base = (): { file: Record<string, unknown>; view: Record<string, { fid_list: unknown[] }>; metadata: Record<string, { vid: string; xy: unknown[]; z: number[]; av: Record<string, string> }> } =>
    JSON.parse(readFileSync(refA, 'utf8'));
  let p = base();
  p.view['1']!.fid_list = ['99'];
  throwsUser(() => via3FromJson(p, 'p.json'), /p\.json: view\["1"\]\.fid_list: file id "99" is not in "file"/);
  p = base();
  p.metadata['1_k0000000']!.vid = '42';
  throwsUser(() => via3FromJson(p, 'p.json'), /metadata\["1_k0000000"\]\.vid: view "42" is not in "view"/);
  p = base();
  p.metadata['1_k0000000']!.xy = [2, 1, 2, 3];
  throwsUser(() => via3FromJson(p, 'p.json'), /metadata\["1_k0000000"\]\.xy: expected a rectangle \[2, x, y, w, h\]/);
  p = base();
  p.metadata['1_k0000000']!.xy = [2, 1, '2', 3, 4];
  throwsUser(() => via3FromJson(p, 'p.json'), /metadata\["1_k0000000"\]\.xy\[2\]: .*expected number/);
  p = base();
  (p.file['1'] as { fname: string }).fname = 'frame.jpg';
  throwsUser(() => via3FromJson(p, 'p.json'), /file\["1"\]\.fname: expected an extracted frame named <video>_<frame number>\.jpg/);
  p = base();
  p.metadata['1_k0000000']!.xy = [8, 10, 5, 30, 20, 12, 40, 2, 22];
  assert.deepEqual(via3FromJson(p, 'p.json').boxes[0]!.box, [2, 5, 30, 40]); // extreme rectangle: bounding box of 4 points
  p.metadata['1_k0000000']!.xy = [8, 10, 5, 30, 20];
  throwsUser(() => via3FromJson(p, 'p.json'), /metadata\["1_k0000000"\]\.xy: expected an extreme rectangle/);
  p.metadata['1_k0000000']!.xy = [12, 1, 1];
  throwsUser(() => via3FromJson(p, 'p.json'), /metadata\["1_k0000000"\]\.xy\[0\]: unknown shape 12/);
  p = base();
  p.metadata['1_k0000000']!.av = {};
  // No value for the action attribute: the attribute's default option ("0" = None) applies.
  assert.deepEqual(via3FromJson(p, 'p.json').boxes[0]!.labels, [0]);
});

test('the writer produces projects the reader reads back box for box, in both styles', () => {
  const classes = ['None', 'a', 'b'];
  const boxes = [
    { frameIndex: 12, time: 1.2, box: [1, 2, 3, 4] as const, labels: [1, 2] },
    { frameIndex: 3, time: 0.3, box: [0.5, 0.25, 10, 20] as const, labels: [0] },
    { frameIndex: 12, time: 1.2, box: [5, 5, 5, 5] as const, labels: [] },
  ];
  for (const style of ['image', 'video'] as const) {
    const project = buildVia3Project(boxes, { style, videoId: 'v_1', classes });
    const a = via3FromJson(JSON.parse(JSON.stringify(project)), 'w.json');
    assert.deepEqual(a.classes, classes);
    assert.deepEqual(a.videos, ['v_1']);
    assert.deepEqual(
      a.boxes.map((b) => [style === 'image' ? b.frameIndex : b.time, b.box, b.labels]),
      boxes.map((b) => [style === 'image' ? b.frameIndex : b.time, [...b.box], b.labels]),
    );
  }
  const scored = via3FromJson(buildVia3Project([{ frameIndex: 1, box: [0, 0, 1, 1], labels: [0], score: 0.25 }], { style: 'image', videoId: 'v', classes }), 's.json');
  assert.equal(scored.boxes[0]!.score, 0.25);
});
