/**
 * Holds V8's young generation (its "new space") at its present size for the rest of the process, so
 * that a long run's resident memory does not swing with V8's sizing heuristic (issue #12).
 *
 * Why: V8 doubles the new space (up to 2 x 16 MiB semi-spaces on 64-bit Node 20) when many objects
 * survive its scavenges, and halves it again after a garbage collection at which the allocation rate
 * of the last seconds was low (below ~1 KB/ms). A training or detect loop allocates little JS memory
 * at a rate that depends on the machine's load, so over a long run the new space went up and down
 * between 2 and 32 MiB at moments nobody chose: measured in bench/soak (bench/RESULTS.md, "soak"),
 * V8's heapTotal moved 19.6 <-> 34.6 MB while its live objects stayed at 14.3 MB, and the process's
 * anonymous memory, and RSS, moved with it (the glibc heap and the tensors did not move at all).
 *
 * How: `--semi-space-growth-factor` is read by V8 at each growth, not only at start-up, so setting it
 * to 1 makes every later "growth" keep the capacity it has; shrinking goes no lower than V8's initial
 * capacity. Called early (before the new space has grown: at a command's start), this fixes the new
 * space at its initial size (1 MiB semi-spaces) for the whole run, in the main thread and in every
 * worker thread started afterwards (V8's flags are process-wide). The cost is more frequent, smaller
 * scavenges; the long-running commands allocate little in JS (their data are in tensors and
 * ArrayBuffers, outside V8's heap), so this is cheap for them. Only those commands call it.
 */
import v8 from 'node:v8';

let held = false;

/** Bytes V8 has reserved for the new space now (both semi-spaces as V8 reports them). */
export function newSpaceBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/** Stops V8 from growing the new space from now on (idempotent). Returns its size when held, in bytes. */
export function holdYoungGeneration(): number {
  if (!held) {
    v8.setFlagsFromString('--semi-space-growth-factor=1');
    held = true;
  }
  return newSpaceBytes();
}
