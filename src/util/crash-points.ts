/**
 * Test hooks that make a process fail at a named point, so that the crash-safety tests can kill a run
 * exactly during a step, a validation or a checkpoint write (rather than hoping a timer lands there).
 * Off unless the environment asks; a point costs one comparison when off.
 *
 *   STAD_CRASH_AT=step:37         SIGKILL itself in iteration 37, after backward, before the optimiser step
 *   STAD_CRASH_AT=val:2           SIGKILL itself during the validation after epoch 2
 *   STAD_CRASH_AT=checkpoint:40   SIGKILL itself half-way through writing the checkpoint taken at iteration 40
 *   STAD_ENOSPC_AT=checkpoint:40  that write fails with ENOSPC half-way instead (a full disk)
 *
 * Points are named by where the run is (iteration, epoch), not by how many points this process passed,
 * so that a resumed process reaches a later point and a list of points sorted in time makes progress.
 */

const crashAt = process.env.STAD_CRASH_AT;
const enospcAt = process.env.STAD_ENOSPC_AT;
/** The write point armed by the caller of a write (writeFileAtomic does not know the run's position). */
let armedWrite: string | null = null;

/** SIGKILLs this process when STAD_CRASH_AT names `point`: no handler runs, nothing is flushed. */
export function crashPoint(point: string): void {
  if (crashAt !== undefined && crashAt === point) process.kill(process.pid, 'SIGKILL');
}

/** Runs `fn` (a file write) with `point` armed: `midWrite()` inside it may crash or fail as asked. */
export function withWritePoint<T>(point: string, fn: () => T): T {
  if (crashAt === undefined && enospcAt === undefined) return fn();
  const before = armedWrite;
  armedWrite = point;
  try {
    return fn();
  } finally {
    armedWrite = before;
  }
}

/** Called by the atomic writer half-way through its temporary file. */
export function midWrite(): void {
  if (armedWrite === null) return;
  crashPoint(armedWrite);
  if (enospcAt !== undefined && enospcAt === armedWrite) {
    throw Object.assign(new Error(`ENOSPC: no space left on device, write (injected at ${armedWrite})`), { code: 'ENOSPC', syscall: 'write', errno: -28 });
  }
}

const stepDelayMs = Number(process.env.STAD_TEST_STEP_DELAY_MS ?? 0);

/**
 * STAD_TEST_STEP_DELAY_MS=200: waits that long after each training step, yielding to the event loop,
 * so that a test's signal lands inside an epoch rather than after a run that took a second.
 */
export async function testStepDelay(): Promise<void> {
  if (stepDelayMs > 0) await new Promise((r) => setTimeout(r, stepDelayMs));
}
