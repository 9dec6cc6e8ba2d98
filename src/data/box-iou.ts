/**
 * Intersection over union of two boxes, shared by the data side (proposal statistics) and the models
 * (target assignment), which both must agree with mmdet 2.x / torchvision: areas without the +1 pixel
 * convention.
 */

/** [x1, y1, x2, y2] in pixels. */
export type Box = readonly [number, number, number, number];

/** IoU of two boxes; 0 when they do not overlap (or touch only along an edge). */
export function boxIou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return inter / Math.max(union, 1e-6);
}
