/**
 * The opt-in leak report. With STAD_LEAK_REPORT=1 in the environment (or `setLeakTracking(true)`), every
 * tensor records where it was made (a stack trace, captured only then: it costs microseconds per
 * tensor), and the tensors still alive at exit are reported on stderr with their origin, grouped by
 * origin, largest group first. `leakReport()` gives the same at any point the caller chooses (e.g. after
 * a step that should leave nothing behind). Off, it costs one boolean test per tensor.
 *
 *   STAD_LEAK_REPORT=1 stad train ...
 *   stad: leak report: 3 tensors still alive, from 1 place
 *     3 x [4, 8] float32 made at
 *       at lossInputs (dist/src/models/assign.js:120:17)
 *       ...
 */
import { native } from './native.js';

/** Read by Tensor's constructor and dispose: a plain exported binding, so a test costs nothing more. */
export let leakTracking = process.env.STAD_LEAK_REPORT === '1';
const origins = new Map<number, string>();
/** Frames of each origin kept in the report (those inside src/torch are dropped first). */
const FRAMES = 8;

/** Turns the recording on or off (off forgets what was recorded). */
export function setLeakTracking(on: boolean): void {
  leakTracking = on;
  if (!on) origins.clear();
}

/** The caller's frames of a stack: below the tensor library, where the tensor was asked for. */
function originOf(stack: string | undefined): string {
  const frames = (stack ?? '').split('\n').slice(1).map((l) => l.trim());
  const outside = frames.filter((f) => !/[\\/]torch[\\/](tensor|creation|functional|scope|leak-report)\.[jt]s:/.test(f));
  return (outside.length > 0 ? outside : frames).slice(0, FRAMES).join('\n');
}

/** @internal A tensor was made (its handle). */
export function recordOrigin(id: number): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = FRAMES + 12;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, recordOrigin);
  Error.stackTraceLimit = limit;
  origins.set(id, originOf(holder.stack));
}

/** @internal A tensor was freed. */
export function forgetOrigin(id: number): void {
  origins.delete(id);
}

export interface LeakGroup {
  /** Live tensors made here. */
  count: number;
  /** Their shapes and dtypes, distinct, at most 5 (`[4, 8] float32`). */
  kinds: string[];
  /** The stack frames where they were made, innermost first. */
  origin: string;
}

/** Tensors alive now (made while tracking was on), grouped by where they were made, largest group first. */
export function leakReport(): LeakGroup[] {
  const groups = new Map<string, { count: number; kinds: Set<string> }>();
  for (const [id, origin] of origins) {
    let g = groups.get(origin);
    if (!g) groups.set(origin, (g = { count: 0, kinds: new Set() }));
    g.count++;
    if (g.kinds.size < 5) {
      try {
        g.kinds.add(`[${native.shape(id).join(', ')}] ${native.dtype(id)}`);
      } catch {
        g.kinds.add('(freed outside stad)');
      }
    }
  }
  return [...groups]
    .map(([origin, g]) => ({ count: g.count, kinds: [...g.kinds], origin }))
    .sort((a, b) => b.count - a.count || (a.origin < b.origin ? -1 : 1));
}

/** The report as text (empty when nothing is alive). */
export function formatLeakReport(groups: readonly LeakGroup[]): string {
  if (groups.length === 0) return '';
  const total = groups.reduce((n, g) => n + g.count, 0);
  const lines = [`leak report: ${total} tensor${total === 1 ? '' : 's'} still alive, from ${groups.length} place${groups.length === 1 ? '' : 's'}`];
  for (const g of groups) {
    lines.push(`  ${g.count} x ${g.kinds.join(' | ')} made at`);
    for (const f of g.origin.split('\n')) lines.push(`      ${f}`);
  }
  return `${lines.join('\n')}\n`;
}

// Asked for from the environment: report at exit, whatever the command.
if (leakTracking) {
  process.on('exit', () => {
    const text = formatLeakReport(leakReport());
    process.stderr.write(text === '' ? 'stad: leak report: no tensor left alive\n' : `stad: ${text}`);
  });
}
