/**
 * Image decoding through libtorch: torchvision's JPEG and PNG decoders (its `image` library, loaded into
 * libtorch's dispatcher) and ATen's antialiased bilinear resize, in one native call per image.
 *
 * Importing this module loads nothing; the first `decodeImage` loads the binding and torchvision's image
 * library. It does not go through native.ts, whose import sets libtorch's intra-op thread count: a
 * loader worker thread that decodes frames must not reset the thread count the training chose.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { bindingPath, chosenTorchvisionLibrary, torchvisionImageLibrary, loadTorchvisionPreloads } from './library-files.js';

/** A decoded image: interleaved RGB, [height, width, 3] uint8. */
export interface DecodedImage {
  width: number;
  height: number;
  data: Uint8Array;
}

interface ImageBinding {
  loadLibrary(path: string, global?: boolean): void;
  torchvisionLibrary(): string;
  hasOperator(name: string): boolean;
  decodeImage(bytes: Uint8Array, width?: number, height?: number): { width: number; height: number; data: ArrayBuffer };
}

let binding: ImageBinding | null | undefined;

function load(): ImageBinding | null {
  if (binding !== undefined) return binding;
  binding = null;
  const path = bindingPath();
  if (!existsSync(path)) return binding;
  const b = createRequire(import.meta.url)(path) as ImageBinding;
  if (typeof b.decodeImage !== 'function') return binding;
  if (!b.hasOperator('image::decode_image')) {
    // beside the torchvision the build resolved for this libtorch (native.ts's findTorchvisionLibrary)
    const cLibrary = chosenTorchvisionLibrary(() => b.torchvisionLibrary());
    const lib = cLibrary ? torchvisionImageLibrary(cLibrary) : undefined;
    if (!lib) return binding;
    try {
      loadTorchvisionPreloads(b);
      b.loadLibrary(lib);
    } catch {
      return binding; // a torchvision built against another libtorch: callers fall back to their own decoder
    }
    if (!b.hasOperator('image::decode_image')) return binding;
  }
  binding = b;
  return binding;
}

/** Whether decodeImage can work here (the binding and torchvision's image library load). */
export function imageDecoderAvailable(): boolean {
  return load() !== null;
}

/** JPEG and PNG files, by their signatures: what torchvision's decode_image reads. */
export function isJpegOrPng(bytes: Uint8Array): boolean {
  const jpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const png = bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  return jpeg || png;
}

/**
 * Decodes a JPEG or PNG file's bytes to RGB, resized to `size` when given (antialiased bilinear: the
 * triangle filter of PIL's and libvips' linear kernels). Throws when the decoder is not available
 * (check `imageDecoderAvailable`) or the image is bad.
 */
export function decodeImage(bytes: Uint8Array, size?: { width: number; height: number }): DecodedImage {
  const b = load();
  if (!b) throw new Error("torchvision's image library is not available");
  if (size && (!Number.isInteger(size.width) || !Number.isInteger(size.height) || size.width < 1 || size.height < 1)) {
    throw new RangeError(`image size must be positive integers, got ${size.width}x${size.height}`);
  }
  const r = b.decodeImage(bytes, size?.width, size?.height);
  return { width: r.width, height: r.height, data: new Uint8Array(r.data) };
}
