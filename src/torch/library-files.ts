/**
 * Where the native binding and torchvision's compiled libraries are, without loading anything: the
 * loader's worker threads load the binding through here rather than through native.ts, whose import
 * also sets libtorch's (process-wide) intra-op thread count.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root, from dist/src/torch/ (compiled) or src/torch/. */
export const packageRoot = resolve(here, here.includes(`${join('dist', 'src')}`) ? '../../..' : '../..');

/** The binding's file: $STAD_NATIVE, else native/build/stad_native.node. */
export function bindingPath(): string {
  return process.env.STAD_NATIVE ?? join(packageRoot, 'native', 'build', 'stad_native.node');
}

/**
 * Finds one of torchvision's compiled libraries (`name` "_C" for the operators, "image" for the image
 * decoders): beside $STAD_TORCHVISION_LIB (which names the _C library), then in Debian's
 * python3-torchvision, then in the torchvision of `python3` (a CUDA PyTorch installation).
 */
export function findTorchvisionFile(name: string): string | undefined {
  const env = process.env.STAD_TORCHVISION_LIB;
  if (env && name === '_C') return env;
  const re = new RegExp(`^${name}(\\..*)?\\.so$`);
  const search = (dirs: string[]): string | undefined => {
    for (const d of dirs) {
      if (!existsSync(d)) continue;
      const lib = readdirSync(d).find((f) => re.test(f));
      if (lib) return join(d, lib);
    }
    return undefined;
  };
  const found = search([...(env ? [dirname(env)] : []), '/usr/lib/python3/dist-packages/torchvision']);
  if (found) return found;
  const py = spawnSync('python3', ['-c', 'import torchvision, os; print(os.path.dirname(torchvision.__file__))'], { encoding: 'utf8' });
  return py.status === 0 ? search([py.stdout.trim()]) : undefined;
}
