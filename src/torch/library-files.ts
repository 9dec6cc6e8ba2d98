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
 * torchvision's operator library: $STAD_TORCHVISION_LIB ('none': without torchvision, as for the build),
 * else the one the build resolved (`buildChoice`, '' for none).
 */
export function chosenTorchvisionLibrary(buildChoice: () => string): string | undefined {
  const override = process.env.STAD_TORCHVISION_LIB;
  if (override === 'none') return undefined;
  return override || buildChoice() || undefined;
}

/** A library to load before torchvision's: `global` makes its symbols visible to later libraries. */
export interface Preload {
  path: string;
  global: boolean;
}

/**
 * What must be loaded before a wheel's torchvision libraries, as scripts/build-native.mjs wrote it: the
 * libpython its libtorch_python takes Python's symbols from (global), then the libraries of the binding's
 * own libtorch folder it needs that the binding does not link (libtorch.so, libtorch_python.so: without
 * them the loader would search the system and find nothing, or another libtorch). Empty when none is
 * needed or $STAD_TORCHVISION_LIB overrides the build's choice. A line without a mode (a build before
 * the modes) is a libpython.
 */
export function torchvisionPreloads(): Preload[] {
  const file = join(packageRoot, 'native', 'build', 'torchvision-preload.txt');
  if (process.env.STAD_TORCHVISION_LIB || !existsSync(file)) return [];
  return parsePreloads(readFileSync(file, 'utf8'));
}

/** The lines of torchvision-preload.txt: 'global <path>', 'local <path>', or a bare path (global). */
export function parsePreloads(text: string): Preload[] {
  const out: Preload[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(global|local) (.+)$/.exec(line);
    out.push(m ? { path: m[2]!, global: m[1] === 'global' } : { path: line, global: true });
  }
  return out;
}

/** Loads torchvisionPreloads() in order through a binding's loadLibrary. */
export function loadTorchvisionPreloads(b: { loadLibrary(path: string, global?: boolean): void }): void {
  for (const p of torchvisionPreloads()) b.loadLibrary(p.path, p.global);
}

/**
 * torchvision's image library (its JPEG and PNG decoders) beside its operator library `cLibrary` (the
 * one the build resolved from the binding's own libtorch installation, or $STAD_TORCHVISION_LIB). Only
 * that folder is searched: an image library of another installation would load a second libtorch.
 */
export function torchvisionImageLibrary(cLibrary: string): string | undefined {
  const dir = dirname(cLibrary);
  if (!existsSync(dir)) return undefined;
  // torchvision 0.29 on builds its image library on PyTorch's stable ABI as image_stable.so
  const files = readdirSync(dir);
  const lib = files.find((f) => /^image(\..*)?\.so$/.test(f)) ?? files.find((f) => /^image_stable(\..*)?\.so$/.test(f));
  return lib ? join(dir, lib) : undefined;
}
