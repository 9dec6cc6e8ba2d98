/**
 * Planning the interactions so that the labelled-box counts come out exactly.
 *
 * The unit of counting is a labelled box at a keyframe: an interaction that spans K keyframes gives
 * the actor and the receiver one box each per keyframe (2K boxes), except:
 * - `point` labels only the pointer (the other person just stands: labelled None), K boxes;
 * - an interaction may be "one-sided" at its first keyframe, where only the actor has begun (the
 *   receiver is still None), which makes an odd count possible: 2K - 1 boxes;
 * - a combination (a push that turns into a punch, a handshake that becomes a hug) has one transition
 *   keyframe whose two boxes carry both labels ("4,6"), counted once for each class.
 * Events are drawn with random lengths until each class's budget is spent exactly.
 */
import type { Rng } from '../rng.js';
import { classOptionId, SYNTH_CLASSES, type SynthClass } from './reference.js';

/** The labels (option ids, in order) of the two participants at one keyframe; [] is None. */
export interface KeyframeLabels {
  actor: string[];
  receiver: string[];
}

export interface PlannedEvent {
  /** One class, or two for a combination (first, then second). */
  classes: [SynthClass] | [SynthClass, SynthClass];
  /** One entry per labelled keyframe, in time order. */
  keyframes: KeyframeLabels[];
  /** For a combination: the index of the transition keyframe (both labels). */
  switchIndex?: number;
}

/** Typical lengths of each class, in seconds (one keyframe per stride). */
const LENGTH_SECONDS: Record<SynthClass, [number, number]> = {
  handshake: [3, 6],
  point: [3, 6],
  hug: [3, 6],
  push: [2, 4],
  kick: [2, 4],
  punch: [2, 4],
};

/** Combinations that occur, as [first, second]; both labels at the switch. */
const COMBOS: readonly [SynthClass, SynthClass][] = [
  ['push', 'punch'],
  ['handshake', 'hug'],
];

/** How many combinations per box of the rarer class, and the smallest budget that allows one. */
const COMBO_RATE = 1 / 40;
const COMBO_MIN_BUDGET = 12;

/**
 * Plans the interactions of one split so that, per class, the labelled boxes sum to `targets[c]`.
 * `keyframesPerSecond` converts the typical lengths into keyframes.
 */
export function planEvents(targets: Readonly<Record<SynthClass, number>>, keyframesPerSecond: number, rng: Rng): PlannedEvent[] {
  const remaining = { ...targets };
  const events: PlannedEvent[] = [];
  const kf = (sec: number): number => Math.max(1, Math.round(sec * keyframesPerSecond));

  for (const [a, b] of COMBOS) {
    const budget = Math.min(remaining[a], remaining[b]);
    const n = budget >= COMBO_MIN_BUDGET ? Math.max(1, Math.floor(budget * COMBO_RATE)) : 0;
    for (let i = 0; i < n; i++) {
      let ka = rng.int(1, Math.max(1, kf(1.5)));
      let kb = rng.int(1, Math.max(1, kf(1.5)));
      // Keep at least a few boxes of each class for ordinary events.
      ka = Math.min(ka, Math.floor((remaining[a] - 4) / 2) - 1);
      kb = Math.min(kb, Math.floor((remaining[b] - 4) / 2) - 1);
      if (ka < 1 || kb < 1) break;
      const ia = classOptionId(a);
      const ib = classOptionId(b);
      const keyframes: KeyframeLabels[] = [];
      for (let k = 0; k < ka; k++) keyframes.push({ actor: [ia], receiver: [ia] });
      keyframes.push({ actor: [ia, ib], receiver: [ia, ib] });
      for (let k = 0; k < kb; k++) keyframes.push({ actor: [ib], receiver: [ib] });
      events.push({ classes: [a, b], keyframes, switchIndex: ka });
      remaining[a] -= 2 * (ka + 1);
      remaining[b] -= 2 * (kb + 1);
    }
  }

  for (const c of SYNTH_CLASSES) {
    const id = classOptionId(c);
    const [lo, hi] = LENGTH_SECONDS[c];
    let r = remaining[c];
    while (r > 0) {
      let k = rng.int(kf(lo), kf(hi));
      const keyframes: KeyframeLabels[] = [];
      if (c === 'point') {
        k = Math.min(k, r);
        for (let i = 0; i < k; i++) keyframes.push({ actor: [id], receiver: [] });
        r -= k;
      } else {
        const oneSided = r % 2 === 1;
        k = Math.min(k, Math.ceil(r / 2));
        for (let i = 0; i < k; i++) keyframes.push({ actor: [id], receiver: i === 0 && oneSided ? [] : [id] });
        r -= 2 * k - (oneSided ? 1 : 0);
      }
      events.push({ classes: [c], keyframes });
    }
  }
  return events;
}

/** Labelled boxes per class that a list of events produces (for checks and summaries). */
export function countEventLabels(events: readonly PlannedEvent[]): Record<SynthClass, number> {
  const out = Object.fromEntries(SYNTH_CLASSES.map((c) => [c, 0])) as Record<SynthClass, number>;
  for (const e of events) {
    for (const k of e.keyframes) {
      for (const id of [...k.actor, ...k.receiver]) out[SYNTH_CLASSES[Number(id) - 1]!] += 1;
    }
  }
  return out;
}

/**
 * Deals events to sequences: shuffled, then each to the sequence with the least work so far, so that
 * the sequences have similar lengths and each sees a mix of classes.
 */
export function distributeEvents(events: readonly PlannedEvent[], nSequences: number, rng: Rng): PlannedEvent[][] {
  const out: PlannedEvent[][] = Array.from({ length: nSequences }, () => []);
  const load = new Array<number>(nSequences).fill(0);
  for (const e of rng.shuffle([...events])) {
    let best = 0;
    for (let i = 1; i < nSequences; i++) if (load[i]! < load[best]!) best = i;
    out[best]!.push(e);
    load[best]! += e.keyframes.length + 3;
  }
  return out;
}
