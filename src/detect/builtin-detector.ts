/**
 * The built-in person detector, for `stad detect` without `--boxes`. It lives in src/proposals/ (NanoDet
 * on libtorch, `stad proposals`); this is the one place detect loads it, dynamically, so that detect
 * builds and runs with `--boxes` while that module is absent, and says so clearly when it is needed.
 */
import type { PersonDetector } from '../proposals/person-detector.js';
import { UserError } from '../util/errors.js';

/** What the module is expected to export: a factory of the detector (on a device). */
type Factory = (options?: { device?: string }) => Promise<PersonDetector> | PersonDetector;

const MODULE = '../proposals/nanodet.js';
/** Export names tried in order (the factory's name is settled where the module is written). */
const FACTORIES = ['loadBuiltinPersonDetector', 'loadNanoDet', 'createNanoDetDetector', 'default'];

export async function loadBuiltinDetector(device: string): Promise<PersonDetector> {
  let mod: Record<string, unknown>;
  try {
    // A variable specifier: TypeScript must not require the module at build time.
    const specifier: string = MODULE;
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND') throw new UserError('the built-in person detector is not available in this build (src/proposals/nanodet.ts is missing); give the person boxes with --boxes <file> (an AVA proposals CSV or a VIA3 proposals project)');
    throw e;
  }
  const name = FACTORIES.find((n) => typeof mod[n] === 'function');
  if (!name) throw new Error(`${MODULE} exports none of ${FACTORIES.join(', ')}`);
  return (mod[name] as Factory)({ device });
}
