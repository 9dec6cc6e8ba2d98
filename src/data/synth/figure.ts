/**
 * The articulated figure: a side-view skeleton (head, torso, two arms with elbows, two legs with knees)
 * given by joint angles, turned into thick filled capsules by forward kinematics.
 *
 * Angles are in radians and measured from "straight down", turning towards the direction the figure
 * faces: 0 hangs down, pi/2 points forward, pi points up. A limb at angle a on a figure facing `f`
 * (+1 right, -1 left) runs along (f * sin a, cos a) in image coordinates (y down). Every figure uses
 * the same model; only size and colours vary, so that a single frame says nothing about the class.
 */

export type Rgb = readonly [number, number, number];

export interface ArmPose {
  /** Upper-arm angle from down (forward positive). */
  shoulder: number;
  /** Extra forearm rotation at the elbow, >= 0 (bends forward/up). */
  elbow: number;
}

export interface LegPose {
  /** Thigh angle from down (forward positive). */
  hip: number;
  /** Knee flexion, >= 0 (the shin swings back). */
  knee: number;
}

export interface Pose {
  /** Torso lean from vertical (forward positive). */
  lean: number;
  /** Head rotation relative to the torso (negative = snapped back). */
  headTilt: number;
  armNear: ArmPose;
  armFar: ArmPose;
  legNear: LegPose;
  legFar: LegPose;
}

/** Lengths as fractions of the standing height H (head top to soles). */
export const BODY = {
  thigh: 0.245,
  shin: 0.235,
  torso: 0.3,
  neck: 0.035,
  headR: 0.085,
  upperArm: 0.17,
  foreArm: 0.155,
  /** Shoulders sit this far below the neck along the torso. */
  shoulderDrop: 0.035,
  torsoR: 0.09,
  upperArmR: 0.05,
  foreArmR: 0.044,
  handR: 0.047,
  thighR: 0.066,
  shinR: 0.054,
  footLen: 0.07,
  footR: 0.034,
} as const;

export interface Look {
  skin: Rgb;
  hair: Rgb;
  shirt: Rgb;
  pants: Rgb;
  shoes: Rgb;
  /** Short sleeves show skin on the forearms. */
  shortSleeves: boolean;
}

/** A thick segment (a circle when both ends coincide), filled with one colour. */
export interface Capsule {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  r: number;
  color: Rgb;
}

/** Where a figure stands and how it is posed in one frame. */
export interface FigureState {
  /** Hip x in pixels. */
  x: number;
  /** y of the ground under the figure (soles), in pixels. */
  ground: number;
  /** Standing height in pixels. */
  height: number;
  facing: 1 | -1;
  pose: Pose;
  look: Look;
}

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function darker(c: Rgb, k: number): Rgb {
  return [Math.round(c[0] * k), Math.round(c[1] * k), Math.round(c[2] * k)];
}

/** The joint positions of a posed figure, in pixels. */
export interface Skeleton {
  hip: [number, number];
  neck: [number, number];
  head: [number, number];
  shoulder: [number, number];
  elbowNear: [number, number];
  handNear: [number, number];
  elbowFar: [number, number];
  handFar: [number, number];
  kneeNear: [number, number];
  footNear: [number, number];
  kneeFar: [number, number];
  footFar: [number, number];
}

function along(p: readonly [number, number], len: number, angle: number, f: number): [number, number] {
  return [p[0] + f * len * Math.sin(angle), p[1] + len * Math.cos(angle)];
}

/** How far below the hip a leg reaches (used to put the lower foot on the ground). */
function legDrop(leg: LegPose, h: number): number {
  return h * (BODY.thigh * Math.cos(leg.hip) + BODY.shin * Math.cos(leg.hip - leg.knee)) + h * BODY.footR;
}

/** Forward kinematics: the lower foot rests on the ground. */
export function skeleton(s: FigureState): Skeleton {
  const h = s.height;
  const f = s.facing;
  const p = s.pose;
  const drop = Math.max(legDrop(p.legNear, h), legDrop(p.legFar, h));
  const hip: [number, number] = [s.x, s.ground - drop];
  const neck: [number, number] = [hip[0] + f * h * BODY.torso * Math.sin(p.lean), hip[1] - h * BODY.torso * Math.cos(p.lean)];
  const headAngle = p.lean + p.headTilt;
  const headDist = h * (BODY.neck + BODY.headR);
  const head: [number, number] = [neck[0] + f * headDist * Math.sin(headAngle), neck[1] - headDist * Math.cos(headAngle)];
  const sd = h * BODY.shoulderDrop;
  const shoulder: [number, number] = [neck[0] - f * sd * Math.sin(p.lean), neck[1] + sd * Math.cos(p.lean)];
  const elbowNear = along(shoulder, h * BODY.upperArm, p.armNear.shoulder, f);
  const handNear = along(elbowNear, h * BODY.foreArm, p.armNear.shoulder + p.armNear.elbow, f);
  const elbowFar = along(shoulder, h * BODY.upperArm, p.armFar.shoulder, f);
  const handFar = along(elbowFar, h * BODY.foreArm, p.armFar.shoulder + p.armFar.elbow, f);
  const kneeNear = along(hip, h * BODY.thigh, p.legNear.hip, f);
  const footNear = along(kneeNear, h * BODY.shin, p.legNear.hip - p.legNear.knee, f);
  const kneeFar = along(hip, h * BODY.thigh, p.legFar.hip, f);
  const footFar = along(kneeFar, h * BODY.shin, p.legFar.hip - p.legFar.knee, f);
  return { hip, neck, head, shoulder, elbowNear, handNear, elbowFar, handFar, kneeNear, footNear, kneeFar, footFar };
}

/** The capsules to draw, back to front (far limbs first, drawn a little darker for depth). */
export function figureCapsules(s: FigureState): Capsule[] {
  const h = s.height;
  const f = s.facing;
  const k = skeleton(s);
  const L = s.look;
  const cap = (a: readonly [number, number], b: readonly [number, number], r: number, color: Rgb): Capsule => ({
    x0: a[0],
    y0: a[1],
    x1: b[0],
    y1: b[1],
    r: r * h,
    color,
  });
  const foot = (ankle: [number, number], color: Rgb): Capsule =>
    cap(ankle, [ankle[0] + f * h * BODY.footLen, ankle[1]], BODY.footR, color);
  const farShade = 0.78;
  const sleeve = (near: boolean): Rgb => (L.shortSleeves ? (near ? L.skin : darker(L.skin, farShade)) : near ? L.shirt : darker(L.shirt, farShade));
  const out: Capsule[] = [
    // Far side.
    cap(k.shoulder, k.elbowFar, BODY.upperArmR, darker(L.shirt, farShade)),
    cap(k.elbowFar, k.handFar, BODY.foreArmR, sleeve(false)),
    cap(k.handFar, k.handFar, BODY.handR, darker(L.skin, farShade)),
    cap(k.hip, k.kneeFar, BODY.thighR, darker(L.pants, farShade)),
    cap(k.kneeFar, k.footFar, BODY.shinR, darker(L.pants, farShade)),
    foot(k.footFar, darker(L.shoes, farShade)),
    // Body and head.
    cap(k.hip, k.neck, BODY.torsoR, L.shirt),
    cap(k.neck, k.head, 0.03, L.skin),
    cap(k.head, k.head, BODY.headR, L.skin),
    // Hair: a cap on the back and top of the head.
    cap(
      [k.head[0] - f * h * 0.025, k.head[1] - h * 0.03],
      [k.head[0] - f * h * 0.01, k.head[1] - h * 0.035],
      BODY.headR * 0.72,
      L.hair,
    ),
    // Near side.
    cap(k.hip, k.kneeNear, BODY.thighR, L.pants),
    cap(k.kneeNear, k.footNear, BODY.shinR, L.pants),
    foot(k.footNear, L.shoes),
    cap(k.shoulder, k.elbowNear, BODY.upperArmR, L.shirt),
    cap(k.elbowNear, k.handNear, BODY.foreArmR, sleeve(true)),
    cap(k.handNear, k.handNear, BODY.handR, L.skin),
  ];
  return out;
}

/** The tight bounding box of a set of capsules (unclipped, in pixels). */
export function capsulesBox(caps: readonly Capsule[]): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const c of caps) {
    x0 = Math.min(x0, c.x0 - c.r, c.x1 - c.r);
    y0 = Math.min(y0, c.y0 - c.r, c.y1 - c.r);
    x1 = Math.max(x1, c.x0 + c.r, c.x1 + c.r);
    y1 = Math.max(y1, c.y0 + c.r, c.y1 + c.r);
  }
  return { x0, y0, x1, y1 };
}
