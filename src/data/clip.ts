/**
 * Which frames make a clip: `clipLen` frames `frameInterval` apart, centred on the keyframe, with the
 * video's edge frames repeated where the clip runs past its ends — mmaction2's SampleAVAFrames rule:
 * start = keyframe - floor(clipLen / 2) * frameInterval, then clamped to the video's frame range.
 */
export interface ClipSpec {
  clipLen: number;
  frameInterval: number;
}

export function sampleClipFrames(keyframe: number, spec: ClipSpec, range: { first: number; last: number }): number[] {
  if (!Number.isInteger(spec.clipLen) || spec.clipLen < 1) throw new RangeError(`clipLen must be a positive integer, got ${spec.clipLen}`);
  if (!Number.isInteger(spec.frameInterval) || spec.frameInterval < 1) throw new RangeError(`frameInterval must be a positive integer, got ${spec.frameInterval}`);
  const start = keyframe - Math.floor(spec.clipLen / 2) * spec.frameInterval;
  const out: number[] = [];
  for (let i = 0; i < spec.clipLen; i++) {
    out.push(Math.min(range.last, Math.max(range.first, start + i * spec.frameInterval)));
  }
  return out;
}
