/**
 * Defaults that CLI option declarations need without loading the data modules (kept import-free so
 * `stad --help` stays instant).
 */

/** Where commands look when `--data` is not given: the built-in synthetic dataset (`stad synth`). */
export const DEFAULT_DATA_DIR = 'data/synth';
