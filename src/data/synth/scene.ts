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
import { actionScript, chatScript, comboScript, gaitPhase, idlePose, ramp, randomStyle, walkPose } from './motion.js';
import type { PlannedEvent } from './events.js';
import { Rng } from '../rng.js';
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
  /** A few steps forward or back without turning (repositioning within a pair). */
  | { kind: 'step'; f0: number; f1: number; x0: number; x1: number; facing: 1 | -1 }
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
  } else if (s.kind === 'step') {
    const w = ramp(frame - s.f0, 0, s.f1 - 1 - s.f0);
    x = s.x0 + (s.x1 - s.x0) * w;
    facing = s.facing;
    const amount = Math.abs(s.x1 - s.x0) < 0.02 * track.height ? 0 : Math.sqrt(Math.min(1, 4 * w * (1 - w)));
    pose = walkPose(track.style, gaitPhase(track.style, x - s.x0, track.height), amount, t);
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

/** Builds a track's segment list in time order, filling pauses with standing still. */
class TrackBuilder {
  readonly segments: Segment[] = [];
  constructor(
    public x: number,
    public frame: number,
    public facing: 1 | -1,
  ) {}
  /** Stand still until `frame`. */
  idleUntil(frame: number): void {
    if (frame > this.frame && this.segments.length > 0) this.segments.push({ kind: 'idle', f0: this.frame, f1: frame, x: this.x, facing: this.facing });
    this.frame = Math.max(this.frame, frame);
  }
  add(seg: Segment, xEnd: number): void {
    this.idleUntil(seg.f0);
    this.segments.push(seg);
    this.frame = seg.f1;
    this.x = xEnd;
  }
}

/**
 * Lays the interactions of one pair on the timeline from frame `start`: the two walk in from the
 * sides, perform one to three interactions (stepping to a new distance between them, roles possibly
 * swapped), and walk out.
 */
function layEpisode(evs: readonly PlannedEvent[], start: number, g: SceneGeometry, baseId: number, rng: Rng): EpisodeResult {
  const { width, height, fps, stride } = g;
  // Size and place the pair so that everything the actions do stays inside the frame.
  const ground = rng.uniform(0.8, 0.95) * height;
  let h = rng.uniform(0.42, 0.56) * height;
  h = Math.min(h, width / 2.5, (ground - 2) / 1.08);
  const heights = [h * rng.uniform(0.94, 1.06), h * rng.uniform(0.94, 1.06)] as const; // left, right
  const maxGap = 0.58 * h;
  const margin = 0.78 * h;
  const lo = maxGap / 2 + margin;
  const hi = width - maxGap / 2 - margin;
  const cx = hi > lo ? rng.uniform(lo, hi) : width / 2;
  const styles = [randomStyle(rng), randomStyle(rng)] as const;
  const looks = [randomLook(rng), randomLook(rng)] as const;
  const speed = rng.uniform(0.8, 1.25);
  const sec = (s: number): number => Math.round(s * fps);

  // Walk in from just outside the frame; the two need not arrive together.
  let gap = rng.uniform(0.42, 0.58) * h;
  const off = [-0.5 * heights[0], width + 0.5 * heights[1]] as const;
  const walkSpeed = [rng.uniform(0.8, 1.4) * heights[0], rng.uniform(0.8, 1.4) * heights[1]] as const;
  const tb = [new TrackBuilder(off[0], start, 1), new TrackBuilder(off[1], start, -1)] as const;
  const labels = [new Map<number, string[]>(), new Map<number, string[]>()] as const;
  for (const side of [0, 1] as const) {
    const x = side === 0 ? cx - gap / 2 : cx + gap / 2;
    const f0 = start + sec(rng.uniform(0, 0.4));
    const f1 = f0 + Math.max(1, sec(Math.abs(x - off[side]) / walkSpeed[side]));
    tb[side].add({ kind: 'walk', f0, f1, x0: off[side], x1: x }, x);
  }
  let ready = Math.max(tb[0].frame, tb[1].frame) + sec(rng.uniform(0.3, 0.8));

  evs.forEach((ev, n) => {
    if (n > 0) {
      // Step to a new distance, facing each other throughout.
      gap = rng.uniform(0.42, 0.58) * h;
      const target = [cx - gap / 2, cx + gap / 2] as const;
      const move = Math.max(Math.abs(target[0] - tb[0].x), Math.abs(target[1] - tb[1].x));
      const f0 = ready;
      const f1 = f0 + Math.max(2, sec(Math.min(1.2, Math.max(0.4, move / (0.6 * h)))));
      for (const side of [0, 1] as const) {
        tb[side].add({ kind: 'step', f0, f1, x0: tb[side].x, x1: target[side], facing: tb[side].facing }, target[side]);
      }
      ready = f1 + sec(rng.uniform(0.2, 0.5));
    }
    if (rng.chance(0.4)) {
      // Talk for a while first (None).
      const f0 = ready;
      const f1 = f0 + sec(rng.uniform(1.5, 3.5));
      const chat = chatScript(
        { hA: heights[0], hR: heights[1], gap: Math.abs(tb[1].x - tb[0].x), actorStyle: styles[0], receiverStyle: styles[1], speed, duration: (f1 - 1 - f0) / fps },
        new Rng(rng.nextU32(), 'chat'),
      );
      for (const side of [0, 1] as const) tb[side].add({ kind: 'act', f0, f1, x: tb[side].x, facing: tb[side].facing, script: chat, role: side === 0 ? 'actor' : 'receiver' }, tb[side].x);
      ready = f1 + sec(rng.uniform(0.2, 0.5));
    }
    const actorSide = rng.chance(0.5) ? 0 : 1;
    const recvSide = 1 - actorSide;
    // The action window [a, b] contains exactly the planned keyframes.
    const lead = Math.min(stride - 1, sec(rng.uniform(0.3, 0.6)));
    const tail = Math.min(stride - 1, sec(rng.uniform(0.3, 0.6)));
    const k1 = Math.ceil((ready + lead) / stride) * stride;
    const a = k1 - lead;
    const b = k1 + (ev.keyframes.length - 1) * stride + tail;
    const duration = (b - a) / fps;
    const setup = {
      hA: heights[actorSide],
      hR: heights[recvSide],
      gap: Math.abs(tb[1].x - tb[0].x),
      actorStyle: styles[actorSide],
      receiverStyle: styles[recvSide],
      speed: speed * rng.uniform(0.9, 1.1),
      duration,
    };
    const scriptRng = new Rng(rng.nextU32(), 'script');
    const script: ActionScript =
      ev.classes.length === 2
        ? comboScript(ev.classes[0], ev.classes[1], setup, (k1 + (ev.switchIndex ?? 0) * stride - a) / fps, scriptRng)
        : actionScript(ev.classes[0], setup, scriptRng);
    const end = script.at(duration);
    for (const side of [0, 1] as const) {
      const role = side === actorSide ? 'actor' : 'receiver';
      const t = tb[side];
      t.add({ kind: 'act', f0: a, f1: b + 1, x: t.x, facing: t.facing, script, role }, t.x + t.facing * end[role].dx);
      ev.keyframes.forEach((k, i) => labels[side].set(k1 + i * stride, role === 'actor' ? k.actor : k.receiver));
    }
    ready = b + 1 + sec(rng.uniform(0.3, 0.8));
  });

  // Turn and walk out, each to its own side.
  for (const side of [0, 1] as const) {
    const t = tb[side];
    const f0 = ready + sec(rng.uniform(0, 0.3));
    const f1 = f0 + Math.max(1, sec(Math.abs(off[side] - t.x) / walkSpeed[side]));
    t.add({ kind: 'walk', f0, f1, x0: t.x, x1: off[side] }, off[side]);
  }
  const tracks: Track[] = ([0, 1] as const).map((side) => ({
    id: baseId + side,
    height: heights[side],
    ground: ground + side * 0.001, // a stable draw order within the pair
    look: looks[side],
    style: styles[side],
    participant: true,
    labels: labels[side],
    segments: tb[side].segments,
  }));
  const leaveAt = Math.min(...tracks.map((t) => t.segments.at(-1)!.f0));
  const endAt = Math.max(...tracks.map((t) => t.segments.at(-1)!.f1));
  return { tracks, next: leaveAt + sec(rng.uniform(0, 0.5)), end: endAt };
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
  // Pairs perform one to three interactions each before leaving.
  const order = rng.shuffle([...events]);
  while (order.length > 0) {
    const r = rng.next();
    const ep = layEpisode(order.splice(0, r < 0.4 ? 1 : r < 0.75 ? 2 : 3), cursor, g, tracks.length, rng);
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
