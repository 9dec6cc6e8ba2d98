/**
 * Motion: how the figures move over time. Standing, walking, and one script per action class.
 *
 * The scripts are where the classes differ, and they differ only in motion: every class starts from
 * the same two figures standing face to face at the same range of distances, and a single frame of
 * one class can look like a frame of another (an arm held out is a point, the peak of a punch, or a
 * handshake; two close bodies are a hug or the moment of a push). What tells them apart is how the
 * limbs and bodies move: speed, reach, repetition, contact, and the receiver's reaction.
 *
 * A script is a pure function of the time since the action began, so any frame can be rendered on its
 * own, in any order, and the result is deterministic.
 */
import type { ArmPose, Pose } from './figure.js';
import { BODY } from './figure.js';
import type { Rng } from '../rng.js';
import type { SynthClass } from './reference.js';

/** Per-figure habits, so that no two figures stand or walk quite alike. */
export interface Style {
  armRest: number;
  elbowRest: number;
  stance: number;
  breathRate: number;
  breathPhase: number;
  /** Walking: steps per body height travelled, and swing amplitudes. */
  stepLen: number;
  legSwing: number;
  armSwing: number;
}

export function randomStyle(rng: Rng): Style {
  return {
    armRest: rng.uniform(0.04, 0.16),
    elbowRest: rng.uniform(0.08, 0.3),
    stance: rng.uniform(0.03, 0.09),
    breathRate: rng.uniform(0.2, 0.4),
    breathPhase: rng.uniform(0, 2 * Math.PI),
    stepLen: rng.uniform(0.36, 0.46),
    legSwing: rng.uniform(0.38, 0.5),
    armSwing: rng.uniform(0.25, 0.45),
  };
}

/** Smooth 0 -> 1 between a and b (smoothstep); 0 before a, 1 after b. */
export function ramp(t: number, a: number, b: number): number {
  if (t <= a) return 0;
  if (t >= b) return 1;
  const x = (t - a) / (b - a);
  return x * x * (3 - 2 * x);
}

function lerp(a: number, b: number, w: number): number {
  return a + (b - a) * w;
}

function lerpArm(a: ArmPose, b: ArmPose, w: number): ArmPose {
  return { shoulder: lerp(a.shoulder, b.shoulder, w), elbow: lerp(a.elbow, b.elbow, w) };
}

/** Standing still, breathing. */
export function idlePose(s: Style, t: number): Pose {
  const b = Math.sin(2 * Math.PI * s.breathRate * t + s.breathPhase);
  return {
    lean: 0.015 * b,
    headTilt: 0.02 * b,
    armNear: { shoulder: s.armRest + 0.015 * b, elbow: s.elbowRest },
    armFar: { shoulder: s.armRest * 0.6 - 0.01 * b, elbow: s.elbowRest * 1.2 },
    legNear: { hip: s.stance, knee: 0.04 },
    legFar: { hip: -s.stance, knee: 0.04 },
  };
}

/** Walking legs and arms at gait phase `phase` (radians), scaled by `amount` (0 = standing). */
export function walkPose(s: Style, phase: number, amount: number, t: number): Pose {
  const base = idlePose(s, t);
  const sn = Math.sin(phase);
  const cs = Math.cos(phase);
  const a = amount;
  return {
    lean: base.lean + 0.05 * a,
    headTilt: base.headTilt,
    armNear: { shoulder: lerp(base.armNear.shoulder, -s.armSwing * sn, a), elbow: lerp(base.armNear.elbow, 0.25 + 0.25 * Math.max(0, -sn), a) },
    armFar: { shoulder: lerp(base.armFar.shoulder, s.armSwing * sn, a), elbow: lerp(base.armFar.elbow, 0.25 + 0.25 * Math.max(0, sn), a) },
    legNear: { hip: lerp(base.legNear.hip, s.legSwing * sn, a), knee: lerp(base.legNear.knee, 0.1 + 0.75 * Math.max(0, cs), a) },
    legFar: { hip: lerp(base.legFar.hip, -s.legSwing * sn, a), knee: lerp(base.legFar.knee, 0.1 + 0.75 * Math.max(0, -cs), a) },
  };
}

/** Gait phase after walking `distance` pixels with body height h: one step per stepLen * h. */
export function gaitPhase(s: Style, distance: number, h: number): number {
  return (Math.PI * Math.abs(distance)) / (s.stepLen * h);
}

/**
 * Two-link inverse kinematics for an arm: the angles that put the hand at (u, v) relative to the
 * shoulder (u forward, v down, pixels), elbow below the line; out-of-reach targets get a straight arm.
 */
export function reachArm(u: number, v: number, h: number): ArmPose {
  const l1 = BODY.upperArm * h;
  const l2 = BODY.foreArm * h;
  const d = Math.min(Math.max(Math.hypot(u, v), Math.abs(l1 - l2) + 1e-6), l1 + l2 - 1e-6);
  const phi = Math.atan2(u, v);
  const alpha = Math.acos((l1 * l1 + d * d - l2 * l2) / (2 * l1 * d));
  const beta = Math.acos((l1 * l1 + l2 * l2 - d * d) / (2 * l1 * l2));
  return { shoulder: phi - alpha, elbow: Math.PI - beta };
}

/** Height of the shoulder above the ground for a figure of height h standing straight. */
export function shoulderHeight(h: number): number {
  return h * (BODY.thigh + BODY.shin + BODY.footR + BODY.torso - BODY.shoulderDrop);
}

/** One figure in one frame of an action: its pose and how far it has moved along its facing (px). */
export interface ActorFrame {
  pose: Pose;
  dx: number;
}

export interface ActionFrame {
  actor: ActorFrame;
  receiver: ActorFrame;
}

export interface ActionScript {
  /** Seconds. */
  readonly duration: number;
  at(tau: number): ActionFrame;
}

export interface ActionSetup {
  /** Heights of actor and receiver (px). */
  hA: number;
  hR: number;
  /** Initial hip-to-hip distance (px). */
  gap: number;
  actorStyle: Style;
  receiverStyle: Style;
  /** Tempo: > 1 is faster. */
  speed: number;
  /** Seconds. */
  duration: number;
}

/**
 * A fast strike curve over one cycle of `period` seconds: rises in `up`, holds for `hold`, returns in
 * `down`, then rests. Values in [0, 1].
 */
function strike(p: number, up: number, hold: number, down: number): number {
  if (p < up) return ramp(p, 0, up);
  if (p < up + hold) return 1;
  return 1 - ramp(p, up + hold, up + hold + down);
}

/** A jolt that starts at `t0`, peaks quickly and decays back (the receiver's reaction). */
function jolt(p: number, t0: number, rise: number, decay: number): number {
  if (p < t0) return 0;
  const x = p - t0;
  return x < rise ? ramp(x, 0, rise) : Math.exp(-(x - rise) / decay);
}

/** Moving by `dist` px over [t0, t1] with stepping legs: returns [dx, legs-in-motion pose weight, phase]. */
function stepMove(tau: number, t0: number, t1: number, dist: number, s: Style, h: number): { dx: number; amount: number; phase: number } {
  const w = ramp(tau, t0, t1);
  const dx = dist * w;
  const amount = Math.abs(dist) < 0.02 * h ? 0 : Math.min(1, 4 * w * (1 - w)) ** 0.5;
  return { dx, amount, phase: gaitPhase(s, dx, h) };
}

/** Overlays stepping legs on a pose. */
function withLegs(p: Pose, s: Style, mv: { amount: number; phase: number }, t: number): Pose {
  if (mv.amount <= 0) return p;
  const w = walkPose(s, mv.phase, mv.amount, t);
  return { ...p, legNear: w.legNear, legFar: w.legFar };
}

function envelope(tau: number, d: number, inT: number, outT: number): number {
  return ramp(tau, 0, inT) * (1 - ramp(tau, d - outT, d));
}

function handshake(a: ActionSetup, rng: Rng): ActionScript {
  const freq = rng.uniform(1.8, 2.8) * a.speed;
  const amp = rng.uniform(0.03, 0.05);
  const meetDrop = rng.uniform(0.1, 0.2); // hands meet this far (in H) below the shorter shoulder
  const phase0 = rng.uniform(0, 2 * Math.PI);
  const d = a.duration;
  const inT = 0.45 / a.speed;
  return {
    duration: d,
    at(tau) {
      const e = envelope(tau, d, inT, 0.4 / a.speed);
      const hm = Math.min(a.hA, a.hR);
      // Both hands go to the midpoint and shake up and down together.
      const meetY = Math.min(shoulderHeight(a.hA), shoulderHeight(a.hR)) - meetDrop * hm + amp * hm * Math.sin(2 * Math.PI * freq * tau + phase0) * ramp(tau, inT * 0.7, inT * 1.3);
      const arm = (h: number): ArmPose => reachArm(a.gap / 2, shoulderHeight(h) - meetY, h);
      const pa = idlePose(a.actorStyle, tau);
      const pr = idlePose(a.receiverStyle, tau);
      const leanA = 0.06 * e;
      return {
        actor: { pose: { ...pa, lean: pa.lean + leanA, armNear: lerpArm(pa.armNear, arm(a.hA), e) }, dx: 0 },
        receiver: { pose: { ...pr, lean: pr.lean + leanA, armNear: lerpArm(pr.armNear, arm(a.hR), e) }, dx: 0 },
      };
    },
  };
}

function point(a: ActionSetup, rng: Rng): ActionScript {
  const raise = rng.uniform(1.45, 1.85);
  const d = a.duration;
  const inT = rng.uniform(0.3, 0.5) / a.speed;
  const useFar = rng.chance(0.3);
  return {
    duration: d,
    at(tau) {
      const e = envelope(tau, d, inT, 0.35 / a.speed);
      const pa = idlePose(a.actorStyle, 0); // the pointer freezes: no breathing sway
      const target: ArmPose = { shoulder: raise, elbow: 0.03 };
      const pose: Pose = useFar ? { ...pa, armFar: lerpArm(pa.armFar, target, e) } : { ...pa, armNear: lerpArm(pa.armNear, target, e) };
      return {
        actor: { pose: { ...pose, headTilt: 0.05 * e }, dx: 0 },
        receiver: { pose: idlePose(a.receiverStyle, tau), dx: 0 },
      };
    },
  };
}

function hug(a: ActionSetup, rng: Rng): ActionScript {
  const close = 0.16 * Math.min(a.hA, a.hR);
  const each = Math.max(0, (a.gap - close) / 2);
  const tMove = rng.uniform(0.55, 0.8) / a.speed;
  const rock = rng.uniform(0.4, 0.8) * a.speed;
  const wrap: ArmPose = { shoulder: rng.uniform(1.25, 1.45), elbow: rng.uniform(0.45, 0.75) };
  const d = a.duration;
  return {
    duration: d,
    at(tau) {
      const e = envelope(tau, d, tMove, 0.4 / a.speed);
      const sway = 0.04 * Math.sin(2 * Math.PI * rock * tau) * ramp(tau, tMove, tMove * 1.5);
      const one = (s: Style, h: number, sign: number): ActorFrame => {
        const mv = stepMove(tau, 0, tMove, each, s, h);
        const p = idlePose(s, tau);
        const lean = p.lean + (0.1 + sign * sway) * e;
        const pose: Pose = {
          ...p,
          lean,
          headTilt: p.headTilt + 0.12 * e,
          armNear: lerpArm(p.armNear, wrap, e),
          armFar: lerpArm(p.armFar, { shoulder: wrap.shoulder + 0.05, elbow: wrap.elbow + 0.1 }, e),
        };
        return { pose: withLegs(pose, s, mv, tau), dx: mv.dx };
      };
      return { actor: one(a.actorStyle, a.hA, 1), receiver: one(a.receiverStyle, a.hR, -1) };
    },
  };
}

function push(a: ActionSetup, rng: Rng): ActionScript {
  const contact = 0.36 * a.hA;
  const approach = a.gap - contact;
  const tApp = 0.35 / a.speed;
  const period = rng.uniform(1.1, 1.5) / a.speed;
  const back = rng.uniform(0.18, 0.28) * a.hR;
  const d = a.duration;
  const guard: ArmPose = { shoulder: 0.7, elbow: 1.5 };
  const thrust: ArmPose = { shoulder: 1.45, elbow: 0.1 };
  return {
    duration: d,
    at(tau) {
      const e = envelope(tau, d, tApp, 0.35 / a.speed);
      const mvA = stepMove(tau, 0, tApp, approach, a.actorStyle, a.hA);
      const p = Math.max(0, tau - tApp) % period;
      const active = tau >= tApp ? 1 : 0;
      const k = strike(p, 0.15 / a.speed, 0.1 / a.speed, 0.4 / a.speed) * active * e;
      const pa = idlePose(a.actorStyle, tau);
      const armsReady = lerpArm(pa.armNear, guard, e);
      const actorPose: Pose = {
        ...pa,
        lean: pa.lean + 0.25 * k,
        armNear: lerpArm(armsReady, thrust, k),
        armFar: lerpArm(lerpArm(pa.armFar, guard, e), { shoulder: 1.4, elbow: 0.15 }, k),
      };
      // The receiver is thrown back at contact, stumbles, then steps back in.
      const j = jolt(p, 0.12 / a.speed, 0.25 / a.speed, 0.35 / a.speed) * active * e;
      const pr = idlePose(a.receiverStyle, tau);
      const stumbleDx = -back * j;
      const recv: Pose = {
        ...pr,
        lean: pr.lean - 0.35 * j,
        headTilt: pr.headTilt - 0.2 * j,
        armNear: lerpArm(pr.armNear, { shoulder: 1.1, elbow: 0.6 }, j),
        armFar: lerpArm(pr.armFar, { shoulder: 0.9, elbow: 0.8 }, j),
      };
      const phaseR = gaitPhase(a.receiverStyle, stumbleDx, a.hR);
      return {
        actor: { pose: withLegs(actorPose, a.actorStyle, mvA, tau), dx: mvA.dx + 0.05 * a.hA * k },
        receiver: { pose: withLegs(recv, a.receiverStyle, { amount: Math.min(1, 1.5 * j), phase: phaseR }, tau), dx: stumbleDx },
      };
    },
  };
}

function kick(a: ActionSetup, rng: Rng): ActionScript {
  const period = rng.uniform(1.0, 1.4) / a.speed;
  const height = rng.uniform(1.15, 1.45);
  const d = a.duration;
  const t0 = rng.uniform(0.1, 0.25) / a.speed;
  return {
    duration: d,
    at(tau) {
      const e = envelope(tau, d, t0 + 0.05, 0.3 / a.speed);
      const p = Math.max(0, tau - t0) % period;
      const active = tau >= t0 ? 1 : 0;
      const up = 0.18 / a.speed;
      const k = strike(p, up, 0.08 / a.speed, 0.35 / a.speed) * active * e;
      // The knee is bent while the leg chambers and straightens at the top of the kick.
      const chamber = p < up ? Math.sin((Math.PI * p) / up) : 0;
      const pa = idlePose(a.actorStyle, tau);
      const actorPose: Pose = {
        ...pa,
        lean: pa.lean - 0.22 * k,
        armNear: lerpArm(pa.armNear, { shoulder: 0.7, elbow: 0.6 }, e),
        armFar: lerpArm(pa.armFar, { shoulder: -0.5, elbow: 0.4 }, k),
        legNear: { hip: lerp(pa.legNear.hip, height, k), knee: 0.1 + 1.1 * chamber * active * e },
        legFar: { hip: pa.legFar.hip - 0.1 * k, knee: 0.1 },
      };
      const j = jolt(p, up * 0.9, 0.12 / a.speed, 0.3 / a.speed) * active * e;
      const pr = idlePose(a.receiverStyle, tau);
      const recv: Pose = {
        ...pr,
        lean: pr.lean + 0.45 * j,
        headTilt: pr.headTilt + 0.25 * j,
        armNear: lerpArm(pr.armNear, { shoulder: 0.6, elbow: 1.2 }, j),
        armFar: lerpArm(pr.armFar, { shoulder: 0.5, elbow: 1.3 }, j),
      };
      const back = -0.1 * a.hR * j;
      return {
        actor: { pose: actorPose, dx: 0 },
        receiver: { pose: withLegs(recv, a.receiverStyle, { amount: Math.min(1, j), phase: gaitPhase(a.receiverStyle, back, a.hR) }, tau), dx: back },
      };
    },
  };
}

function punch(a: ActionSetup, rng: Rng): ActionScript {
  const contact = 0.33 * a.hA;
  const approach = a.gap - contact;
  const tApp = 0.3 / a.speed;
  const period = rng.uniform(0.55, 0.8) / a.speed;
  const d = a.duration;
  const guard: ArmPose = { shoulder: 0.55, elbow: 2.3 };
  const jab: ArmPose = { shoulder: rng.uniform(1.6, 1.75), elbow: 0.05 };
  const farFirst = rng.chance(0.5);
  return {
    duration: d,
    at(tau) {
      const e = envelope(tau, d, tApp, 0.3 / a.speed);
      const mvA = stepMove(tau, 0, tApp, approach, a.actorStyle, a.hA);
      const q = Math.max(0, tau - tApp);
      const n = Math.floor(q / period);
      const p = q - n * period;
      const active = tau >= tApp ? 1 : 0;
      const k = strike(p, 0.08 / a.speed, 0.05 / a.speed, 0.2 / a.speed) * active * e;
      const nearHits = (n % 2 === 0) !== farFirst;
      const pa = idlePose(a.actorStyle, tau);
      const gNear = lerpArm(pa.armNear, guard, e);
      const gFar = lerpArm(pa.armFar, guard, e);
      const actorPose: Pose = {
        ...pa,
        lean: pa.lean + 0.08 * e + 0.08 * k,
        armNear: nearHits ? lerpArm(gNear, jab, k) : gNear,
        armFar: nearHits ? gFar : lerpArm(gFar, jab, k),
      };
      const j = jolt(p, 0.07 / a.speed, 0.06 / a.speed, 0.18 / a.speed) * active * e;
      const pr = idlePose(a.receiverStyle, tau);
      const recv: Pose = { ...pr, lean: pr.lean - 0.18 * j, headTilt: pr.headTilt - 0.6 * j };
      return {
        actor: { pose: withLegs(actorPose, a.actorStyle, mvA, tau), dx: mvA.dx },
        receiver: { pose: recv, dx: -0.05 * a.hR * j },
      };
    },
  };
}

const SCRIPTS: Record<SynthClass, (a: ActionSetup, rng: Rng) => ActionScript> = { handshake, point, hug, push, kick, punch };

/** The script of one class. */
export function actionScript(cls: SynthClass, a: ActionSetup, rng: Rng): ActionScript {
  return SCRIPTS[cls](a, rng);
}

/**
 * Two actions in a row by the same pair (a push that turns into a punch): the second starts where the
 * first left the bodies, at `switchAt` seconds.
 */
export function comboScript(first: SynthClass, second: SynthClass, a: ActionSetup, switchAt: number, rng: Rng): ActionScript {
  const s1 = actionScript(first, { ...a, duration: switchAt }, rng);
  const end = s1.at(switchAt);
  const s2 = actionScript(second, { ...a, duration: a.duration - switchAt, gap: a.gap - end.actor.dx - end.receiver.dx }, rng);
  return {
    duration: a.duration,
    at(tau) {
      if (tau < switchAt) return s1.at(tau);
      const f = s2.at(tau - switchAt);
      return {
        actor: { pose: f.actor.pose, dx: f.actor.dx + end.actor.dx },
        receiver: { pose: f.receiver.pose, dx: f.receiver.dx + end.receiver.dx },
      };
    },
  };
}

/**
 * Talking (labelled None): the pair stands face to face and gestures, slowly and loosely, with the
 * arms low. A hard negative: two people close together and moving is not by itself an interaction.
 */
export function chatScript(a: ActionSetup, rng: Rng): ActionScript {
  const gesture = (): ((t: number) => ArmPose) => {
    const f1 = rng.uniform(0.25, 0.7);
    const f2 = rng.uniform(0.5, 1.2);
    const p1 = rng.uniform(0, 2 * Math.PI);
    const p2 = rng.uniform(0, 2 * Math.PI);
    const lift = rng.uniform(0.2, 0.7);
    return (t) => {
      const g = Math.max(0, Math.sin(2 * Math.PI * f1 * t + p1));
      return { shoulder: 0.1 + lift * g, elbow: 0.3 + 0.9 * g + 0.15 * Math.sin(2 * Math.PI * f2 * t + p2) };
    };
  };
  // Now and then one raises an arm as high as a point, but waves it instead of holding it still: a
  // single frame of it looks like a point; only the motion tells them apart.
  const wave = (base: (t: number) => ArmPose): ((t: number) => ArmPose) => {
    if (!rng.chance(0.5)) return base;
    const t0 = rng.uniform(0, Math.max(0, a.duration - 1.2));
    const t1 = t0 + rng.uniform(0.8, 1.6);
    const raise = rng.uniform(1.4, 1.85);
    const f = rng.uniform(1.5, 2.5);
    return (t) => {
      const w = ramp(t, t0, t0 + 0.25) * (1 - ramp(t, t1 - 0.25, t1));
      if (w <= 0) return base(t);
      const s = Math.sin(2 * Math.PI * f * (t - t0));
      return lerpArm(base(t), { shoulder: raise + 0.3 * s, elbow: 0.05 + 0.35 * Math.abs(s) }, w);
    };
  };
  const armsA = [wave(gesture()), gesture()] as const;
  const armsR = [wave(gesture()), gesture()] as const;
  const nod = rng.uniform(0.5, 1.2);
  const d = a.duration;
  return {
    duration: d,
    at(tau) {
      const e = envelope(tau, d, 0.4, 0.4);
      const one = (s: Style, arms: readonly [(t: number) => ArmPose, (t: number) => ArmPose]): ActorFrame => {
        const p = idlePose(s, tau);
        return {
          pose: {
            ...p,
            headTilt: p.headTilt + 0.08 * Math.sin(2 * Math.PI * nod * tau) * e,
            armNear: lerpArm(p.armNear, arms[0](tau), e),
            armFar: lerpArm(p.armFar, arms[1](tau), e),
          },
          dx: 0,
        };
      };
      return { actor: one(a.actorStyle, armsA), receiver: one(a.receiverStyle, armsR) };
    },
  };
}
