/**
 * A sequence as a timeline: who is in the scene, where, doing what, frame by frame.
 *
 * Each planned interaction becomes an episode: two figures walk in from the sides, stand face to face,
 * perform the action (a motion script), pause, turn and walk out, while the next pair is already
 * walking in. Passers-by cross the background now and then. The action window is placed so that
 * exactly the planned number of keyframes (every `stride` frames) falls inside it, which is what makes
 * the class counts exact.
 */
import type { Box, Capsule, FigureState, Look, Pose, Rgb } from './figure.js';
import { capsulesBox, figureCapsules } from './figure.js';
import type { ActionScript, Style } from './motion.js';
import { actionScript, comboScript, gaitPhase, idlePose, randomStyle, walkPose } from './motion.js';
import type { PlannedEvent } from './events.js';
import { Rng } from './prng.js';
import type { SplitName } from './reference.js';

export interface SceneGeometry {
  width: number;
  height: number;
  fps: number;
  /** Frames between keyframes. */
  stride: number;
}

type Segment =
  | { kind: 'walk'; f0: number; f1: number; x0: number; x1: number }
  | { kind: 'idle'; f0: number; f1: number; x: number; facing: 1 | -1 }
  | { kind: 'act'; f0: number; f1: number; x: number; facing: 1 | -1; script: ActionScript; role: 'actor' | 'receiver' };

/** One figure over the whole sequence. */
export interface Track {
  id: number;
  height: number;
  ground: number;
  look: Look;
  style: Style;
  segments: Segment[];
  /** Labels (option ids) at labelled keyframes; every other visible keyframe is None. */
  labels: Map<number, string[]>;
  /** True for the participants of an interaction (their labelled boxes must be fully visible). */
  participant: boolean;
}

export interface SequenceScene {
  name: string;
  split: SplitName;
  geometry: SceneGeometry;
  nFrames: number;
  horizon: number;
  tracks: Track[];
  /** Keys for the background, noise and proposal streams. */
  seed: number;
  noiseSigma: number;
}

const SKIN: readonly Rgb[] = [
  [255, 219, 172],
  [241, 194, 125],
  [224, 172, 105],
  [198, 134, 66],
  [141, 85, 36],
  [92, 56, 32],
];
const HAIR: readonly Rgb[] = [
  [20, 16, 12],
  [60, 40, 25],
  [110, 75, 40],
  [200, 170, 110],
  [130, 130, 130],
  [150, 60, 30],
];

export function randomLook(rng: Rng): Look {
  const c = (lo: number, hi: number): Rgb => [rng.int(lo, hi), rng.int(lo, hi), rng.int(lo, hi)];
  return {
    skin: rng.pick(SKIN),
    hair: rng.pick(HAIR),
    shirt: c(20, 245),
    pants: c(15, 150),
    shoes: c(10, 70),
    shortSleeves: rng.chance(0.4),
  };
}

function segmentAt(track: Track, frame: number): Segment | undefined {
  for (const s of track.segments) if (frame >= s.f0 && frame < s.f1) return s;
  return undefined;
}

/** Where a track's figure is and how it is posed at a frame; undefined when it is not in the scene. */
export function trackState(track: Track, frame: number, fps: number): FigureState | undefined {
  const s = segmentAt(track, frame);
  if (!s) return undefined;
  const t = frame / fps;
  let x: number;
  let facing: 1 | -1;
  let pose: Pose;
  if (s.kind === 'walk') {
    const w = s.f1 - 1 > s.f0 ? (frame - s.f0) / (s.f1 - 1 - s.f0) : 1;
    x = s.x0 + (s.x1 - s.x0) * w;
    facing = s.x1 >= s.x0 ? 1 : -1;
    pose = walkPose(track.style, gaitPhase(track.style, x - s.x0, track.height), 1, t);
  } else if (s.kind === 'idle') {
    x = s.x;
    facing = s.facing;
    pose = idlePose(track.style, t);
  } else {
    const f = s.script.at((frame - s.f0) / fps)[s.role];
    x = s.x + s.facing * f.dx;
    facing = s.facing;
    pose = f.pose;
  }
  return { x, ground: track.ground, height: track.height, facing, pose, look: track.look };
}

/** Every figure present at a frame, far to near (draw order), with its capsules and box. */
export function figuresAt(scene: SequenceScene, frame: number): { track: Track; capsules: Capsule[]; box: Box }[] {
  const out: { track: Track; capsules: Capsule[]; box: Box }[] = [];
  for (const track of scene.tracks) {
    const st = trackState(track, frame, scene.geometry.fps);
    if (!st) continue;
    const capsules = figureCapsules(st);
    out.push({ track, capsules, box: capsulesBox(capsules) });
  }
  out.sort((a, b) => a.track.ground - b.track.ground || a.track.id - b.track.id);
  return out;
}

/** Pixels of the box inside the frame over its whole area. */
export function visibleFraction(b: Box, width: number, height: number): number {
  const area = (b.x1 - b.x0) * (b.y1 - b.y0);
  if (area <= 0) return 0;
  const w = Math.max(0, Math.min(b.x1, width) - Math.max(b.x0, 0));
  const h = Math.max(0, Math.min(b.y1, height) - Math.max(b.y0, 0));
  return (w * h) / area;
}

interface EpisodeResult {
  tracks: Track[];
  /** Frame at which the next pair may start walking in. */
  next: number;
  /** Last frame in which a figure of this episode is on screen. */
  end: number;
}

/**
 * Lays one interaction on the timeline starting at frame `start`. Returns the two tracks.
 */
function layEpisode(ev: PlannedEvent, start: number, g: SceneGeometry, baseId: number, rng: Rng): EpisodeResult {
  const { width, height, fps, stride } = g;
  // Size and place the pair so that everything the action does stays inside the frame.
  const ground = rng.uniform(0.8, 0.95) * height;
  let h = rng.uniform(0.42, 0.56) * height;
  h = Math.min(h, width / 2.5, (ground - 2) / 1.08);
  const hA = h * rng.uniform(0.94, 1.06);
  const hR = h * rng.uniform(0.94, 1.06);
  const gap = rng.uniform(0.42, 0.58) * h;
  const margin = 0.78 * h;
  const lo = gap / 2 + margin;
  const hi = width - gap / 2 - margin;
  const cx = hi > lo ? rng.uniform(lo, hi) : width / 2;
  const actorLeft = rng.chance(0.5);
  const xL = cx - gap / 2;
  const xR = cx + gap / 2;
  const speed = rng.uniform(0.8, 1.25);
  const sL = randomStyle(rng);
  const sR = randomStyle(rng);
  const lookL = randomLook(rng);
  const lookR = randomLook(rng);
  const hL = actorLeft ? hA : hR;
  const hRight = actorLeft ? hR : hA;

  // Walk in from just outside the frame; the two need not arrive together.
  const vL = rng.uniform(0.8, 1.4) * hL;
  const vR = rng.uniform(0.8, 1.4) * hRight;
  const offL = -0.5 * hL;
  const offR = width + 0.5 * hRight;
  const startL = start + Math.round(rng.uniform(0, 0.4) * fps);
  const startR = start + Math.round(rng.uniform(0, 0.4) * fps);
  const arriveL = startL + Math.max(1, Math.round(((xL - offL) / vL) * fps));
  const arriveR = startR + Math.max(1, Math.round(((offR - xR) / vR) * fps));
  const ready = Math.max(arriveL, arriveR) + Math.round(rng.uniform(0.3, 0.8) * fps);

  // The action window [a, b] contains exactly the planned keyframes.
  const lead = Math.min(stride - 1, Math.round(rng.uniform(0.3, 0.6) * fps));
  const tail = Math.min(stride - 1, Math.round(rng.uniform(0.3, 0.6) * fps));
  const k1 = Math.ceil((ready + lead) / stride) * stride;
  const a = k1 - lead;
  const kLast = k1 + (ev.keyframes.length - 1) * stride;
  const b = kLast + tail;
  const duration = (b - a) / fps;

  const setup = {
    hA,
    hR,
    gap,
    actorStyle: actorLeft ? sL : sR,
    receiverStyle: actorLeft ? sR : sL,
    speed,
    duration,
  };
  const scriptRng = new Rng(rng.nextU32(), 'script');
  let script: ActionScript;
  if (ev.classes.length === 2) {
    const switchAt = (k1 + (ev.switchIndex ?? 0) * stride - a) / fps;
    script = comboScript(ev.classes[0], ev.classes[1], setup, switchAt, scriptRng);
  } else {
    script = actionScript(ev.classes[0], setup, scriptRng);
  }
  const end = script.at(duration);

  const makeTrack = (left: boolean): Track => {
    const isActor = left === actorLeft;
    const role = isActor ? 'actor' : 'receiver';
    const facing: 1 | -1 = left ? 1 : -1;
    const x = left ? xL : xR;
    const hh = left ? hL : hRight;
    const xEnd = x + facing * end[role].dx;
    const off = left ? offL : offR;
    const v = left ? vL : vR;
    const arrive = left ? arriveL : arriveR;
    const leave = b + 1 + Math.round(rng.uniform(0.2, 0.6) * fps);
    const leaveEnd = leave + Math.max(1, Math.round((Math.abs(xEnd - off) / v) * fps));
    const labels = new Map<number, string[]>();
    ev.keyframes.forEach((k, i) => labels.set(k1 + i * stride, isActor ? k.actor : k.receiver));
    return {
      id: baseId + (left ? 0 : 1),
      height: hh,
      ground: ground + (left ? 0 : 0.001), // a stable draw order within the pair
      look: left ? lookL : lookR,
      style: left ? sL : sR,
      participant: true,
      labels,
      segments: [
        { kind: 'walk', f0: left ? startL : startR, f1: arrive, x0: off, x1: x },
        { kind: 'idle', f0: arrive, f1: a, x, facing },
        { kind: 'act', f0: a, f1: b + 1, x, facing, script, role },
        { kind: 'idle', f0: b + 1, f1: leave, x: xEnd, facing },
        { kind: 'walk', f0: leave, f1: leaveEnd, x0: xEnd, x1: off },
      ],
    };
  };
  const tracks = [makeTrack(true), makeTrack(false)];
  const leaveAt = Math.min(...tracks.map((t) => t.segments[4]!.f0));
  const endAt = Math.max(...tracks.map((t) => t.segments[4]!.f1));
  return { tracks, next: leaveAt + Math.round(rng.uniform(0, 0.5) * fps), end: endAt };
}

/** A passer-by crossing the background from one side to the other. */
function walker(f0: number, g: SceneGeometry, horizon: number, refHeight: number, refGround: number, id: number, rng: Rng): Track {
  const { width, fps } = g;
  const ground = rng.uniform(horizon + 0.35 * (refGround - horizon), horizon + 0.75 * (refGround - horizon));
  // Perspective: smaller further up.
  const h = (refHeight * (ground - horizon)) / (refGround - horizon);
  const rightward = rng.chance(0.5);
  const x0 = rightward ? -0.5 * h : width + 0.5 * h;
  const x1 = rightward ? width + 0.5 * h : -0.5 * h;
  const v = rng.uniform(0.7, 1.5) * h;
  const f1 = f0 + Math.max(2, Math.round((Math.abs(x1 - x0) / v) * fps));
  return {
    id,
    height: h,
    ground,
    look: randomLook(rng),
    style: randomStyle(rng),
    participant: false,
    labels: new Map(),
    segments: [{ kind: 'walk', f0, f1, x0, x1 }],
  };
}

/** Builds the whole timeline of one sequence from its planned interactions. */
export function buildScene(name: string, split: SplitName, events: readonly PlannedEvent[], g: SceneGeometry, seed: number): SequenceScene {
  const rng = new Rng(seed, 'scene', name);
  const horizon = rng.uniform(0.3, 0.5) * g.height;
  const tracks: Track[] = [];
  let cursor = Math.round(rng.uniform(0, 0.5) * g.fps);
  let end = Math.round(3 * g.fps);
  for (const ev of rng.shuffle([...events])) {
    const ep = layEpisode(ev, cursor, g, tracks.length, rng);
    tracks.push(...ep.tracks);
    cursor = ep.next;
    end = Math.max(end, ep.end);
  }
  const nFrames = end + Math.round(0.3 * g.fps);
  // Passers-by: a Poisson stream over the whole sequence.
  const rate = rng.uniform(0.12, 0.3);
  const refHeight = 0.48 * g.height;
  const refGround = 0.88 * g.height;
  for (let t = -rng.uniform(0, 3); ; ) {
    t += -Math.log(1 - rng.next()) / rate;
    const f0 = Math.round(t * g.fps);
    if (f0 >= nFrames) break;
    tracks.push(walker(f0, g, horizon, refHeight, refGround, tracks.length, rng));
  }
  return { name, split, geometry: g, nFrames, horizon, tracks, seed, noiseSigma: rng.uniform(2, 6) };
}

/** Frame indices that are keyframes: every `stride` frames from `stride` on, up to the last frame. */
export function strideFrames(scene: SequenceScene): number[] {
  const out: number[] = [];
  for (let f = scene.geometry.stride; f < scene.nFrames; f += scene.geometry.stride) out.push(f);
  return out;
}
