/**
 * Where the native binding and torchvision's compiled libraries are, without loading anything: the
 * loader's worker threads load the binding through here rather than through native.ts, whose import
 * also sets libtorch's (process-wide) intra-op thread count.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root, from dist/src/torch/ (compiled) or src/torch/. */
export const packageRoot = resolve(here, here.includes(`${join('dist', 'src')}`) ? '../../..' : '../..');

/** The binding's file: $STAD_NATIVE, else native/build/stad_native.node. */
export function bindingPath(): string {
  return process.env.STAD_NATIVE ?? join(packageRoot, 'native', 'build', 'stad_native.node');
}

/**
 * The libpython a wheel's torchvision needs loaded first (its libraries link libtorch_python, which takes
 * Python's symbols from the process), as scripts/build-native.mjs wrote it; '' when none is needed or
 * $STAD_TORCHVISION_LIB overrides the build's choice.
 */
export function torchvisionPreload(): string {
  const file = join(packageRoot, 'native', 'build', 'torchvision-preload.txt');
  return !process.env.STAD_TORCHVISION_LIB && existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
}

/**
 * torchvision's image library (its JPEG and PNG decoders) beside its operator library `cLibrary` (the
 * one the build resolved from the binding's own libtorch installation, or $STAD_TORCHVISION_LIB). Only
 * that folder is searched: an image library of another installation would load a second libtorch.
 */
export function torchvisionImageLibrary(cLibrary: string): string | undefined {
  const dir = dirname(cLibrary);
  if (!existsSync(dir)) return undefined;
  const lib = readdirSync(dir).find((f) => /^image(\..*)?\.so$/.test(f));
  return lib ? join(dir, lib) : undefined;
}
