/**
 * The worker thread of the video fuzz (fuzz-video.ts): opens one (mutated) video file through one of
 * stad's entry points and says how it ended. A thread, so that the test's thread keeps its event loop
 * while ffprobe runs synchronously in here, and can call an input that never ends a hang.
 *
 * Outcomes: `read` (the entry point returned sane metadata and frames of the size it promised),
 * `rejected` (a one-line UserError), `failed` (anything else, with what went wrong).
 */
import { parentPort } from 'node:worker_threads';
import { probeVideo as probeDatasetVideo } from '../../src/data/dataset.js';
import { VideoFileSource, type RGBFrame, type Size } from '../../src/data/frames.js';
import { videoFacts } from '../../src/detect/run-file.js';
import { decodeVideo } from '../../src/detect/video-decode.js';
import { isUserError } from '../../src/util/errors.js';

/** The entry points of stad that open a user's video file. */
export type VideoEntry = 'frame source' | 'dataset probe' | 'detect';

export interface VideoJob {
  id: number;
  file: string;
  entry: VideoEntry;
}

export interface VideoJobResult {
  id: number;
  outcome: 'read' | 'rejected' | 'failed';
  detail: string;
}

/** The size `detect` asks for the model's frames (any size not the video's). */
const MODEL: Size = { width: 40, height: 30 };

class Broken extends Error {}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Broken(what);
}

const isSize = (s: Size): boolean => Number.isInteger(s.width) && Number.isInteger(s.height) && s.width > 0 && s.height > 0;

function checkFrame(f: RGBFrame | null | undefined, size: Size, what: string): void {
  check(f !== null && f !== undefined, `${what}: no frame`);
  check(f!.width === size.width && f!.height === size.height && f!.data.length === size.width * size.height * 3, `${what}: ${f!.width}x${f!.height} (${f!.data.length} bytes), expected ${size.width}x${size.height}`);
}

/** Opens `file` as the entry point does; throws Broken on a broken promise; null: refused without an error. */
async function open(job: VideoJob): Promise<string | null> {
  if (job.entry === 'dataset probe') {
    // what `stats` and `convert` call first for a video (src/data/dataset.ts): null when unreadable
    // null: unreadable; stats then uses dataset.json's size and rate or none, and convert stops with a
    // one-line UserError when it needs the size: a rejection
    const info = probeDatasetVideo(job.file);
    if (info === null) return null;
    check(isSize(info), `size ${info.width}x${info.height}`);
    check(Number.isFinite(info.fps) && info.fps >= 0, `fps ${info.fps}`);
    return `${info.width}x${info.height} ${info.fps} fps`;
  }
  if (job.entry === 'frame source') {
    // what the loader, `proposals` and the report use: probe, frame range, then frames by index
    const src = new VideoFileSource(job.file);
    const { first, last } = await src.frameRange();
    const size = await src.size();
    const fps = await src.fps();
    check(first === 0 && Number.isInteger(last) && last >= first, `frame range ${first}-${last}`);
    check(isSize(size), `size ${size.width}x${size.height}`);
    check(Number.isFinite(fps) && fps >= 0, `fps ${fps}`);
    const indices = [0, Math.floor(last / 2), last];
    const frames = await src.read(indices);
    check(frames.length === indices.length, `${frames.length} frames for ${indices.length} indices`);
    frames.forEach((f, k) => checkFrame(f, size, `frame ${indices[k]}`));
    return `${last + 1} frames ${size.width}x${size.height}`;
  }
  // `stad detect` on a file: its facts, then one sequential decode at full and model size
  const facts = videoFacts(job.file);
  check(isSize(facts.size), `size ${facts.size.width}x${facts.size.height}`);
  check(Number.isFinite(facts.fps) && facts.fps > 0, `fps ${facts.fps}`);
  check(facts.numFrames === null || (Number.isInteger(facts.numFrames) && facts.numFrames >= 0), `frame count ${facts.numFrames}`);
  let n = 0;
  for await (const f of decodeVideo(job.file, facts.size, MODEL, true)) {
    check(f.index === n, `frame ${n} came as ${f.index}`);
    checkFrame(f.full, facts.size, `full-size frame ${n}`);
    checkFrame(f.model, MODEL, `model frame ${n}`);
    n++;
  }
  return `${n} frames decoded`;
}

async function run(job: VideoJob): Promise<VideoJobResult> {
  try {
    const detail = await open(job);
    return detail === null ? { id: job.id, outcome: 'rejected', detail: 'unreadable (null)' } : { id: job.id, outcome: 'read', detail };
  } catch (e) {
    if (e instanceof Broken) return { id: job.id, outcome: 'failed', detail: `read, but ${e.message}` };
    if (!isUserError(e)) return { id: job.id, outcome: 'failed', detail: `not a UserError: ${(e as Error)?.stack ?? String(e)}` };
    if (e.message.includes('\n')) return { id: job.id, outcome: 'failed', detail: `a UserError of more than one line: ${JSON.stringify(e.message)}` };
    return { id: job.id, outcome: 'rejected', detail: e.message };
  }
}

parentPort?.on('message', (job: VideoJob) => {
  void run(job).then((r) => parentPort!.postMessage(r));
});
