/**
 * Putting a run folder back in step with its checkpoint before a resumed run goes on. A run killed
 * (SIGKILL, power cut, OOM killer) at any moment leaves:
 * - latest.safetensors whole (atomic writes), but older than the work done since: metrics.jsonl holds
 *   lines of steps and validations after it, which the resumed run will redo and write again;
 * - possibly a torn last line in metrics.jsonl (a write cut short);
 * - possibly a temporary file of a checkpoint write that never reached its rename.
 * recoverRunFolder drops the metric lines the checkpoint does not cover (and a torn last line), and
 * removes stad's own stale temporary files, so that a resumed run's folder ends exactly as an
 * uninterrupted run's would.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../util/errors.js';
import { readTextFile, writeFileAtomic } from '../util/fs.js';
import { BEST_FILE, CONFIG_FILE, LATEST_FILE, METRICS_FILE, type TrainState } from './checkpoint.js';

/** What a line of metrics.jsonl needs for the decision: its iteration, or the epoch it validated. */
interface MetricLine {
  type?: unknown;
  iter?: unknown;
  epoch?: unknown;
}

/** True when the line belongs to work the checkpoint in `state` includes. */
function coveredBy(m: MetricLine, state: TrainState): boolean {
  if (typeof m.iter === 'number') return m.iter <= state.iteration;
  // validation lines carry the (1-based) epoch they validated; the checkpoint counts finished epochs
  if (m.type === 'val' && typeof m.epoch === 'number') return m.epoch <= state.epoch;
  return true;
}

/**
 * The lines of metrics.jsonl that `state` covers, and how many were dropped. Only the last line may be
 * torn (a write cut short); an unreadable line before it was not written by stad: a UserError.
 */
export function trimMetrics(text: string, file: string, state: TrainState): { kept: string; dropped: number; torn: boolean } {
  const lines = text.split('\n');
  const last = lines.pop()!; // '' when the file ends with a newline, as every complete write does
  const torn = last !== '';
  const kept: string[] = [];
  let dropped = 0;
  lines.forEach((line, i) => {
    let m: MetricLine;
    try {
      m = JSON.parse(line) as MetricLine;
    } catch {
      fail(file, `line ${i + 1}`, 'not a JSON object (stad did not write this line); fix or remove it, then resume');
    }
    if (typeof m !== 'object' || m === null) fail(file, `line ${i + 1}`, 'not a JSON object (stad did not write this line)');
    if (coveredBy(m, state)) kept.push(line);
    else dropped++;
  });
  return { kept: kept.length > 0 ? `${kept.join('\n')}\n` : '', dropped, torn };
}

/** stad's temporary files of atomic writes in `dir` (src/util/fs.ts: `.<name>.<pid>.<ms>.tmp`). */
export function staleTempFiles(dir: string): string[] {
  const ours = new Set([LATEST_FILE, BEST_FILE, METRICS_FILE, CONFIG_FILE]);
  return readdirSync(dir).filter((f) => {
    const m = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/.exec(f);
    return m !== null && ours.has(m[1]!) && Number(m[2]) !== process.pid;
  });
}

/** Brings `dir` in step with the checkpoint state it resumes from; returns what it did, for the log. */
export function recoverRunFolder(dir: string, state: TrainState): string[] {
  const notes: string[] = [];
  for (const f of staleTempFiles(dir)) {
    rmSync(join(dir, f), { force: true });
    notes.push(`removed ${join(dir, f)} (a checkpoint write cut short)`);
  }
  const file = join(dir, METRICS_FILE);
  if (!existsSync(file)) return notes;
  const text = readTextFile(file, 'metrics');
  const { kept, dropped, torn } = trimMetrics(text, file, state);
  if (dropped === 0 && !torn) return notes;
  writeFileAtomic(file, kept);
  const parts = [];
  if (torn) parts.push('a torn last line (a write cut short)');
  if (dropped > 0) parts.push(`${dropped} line${dropped === 1 ? '' : 's'} after the checkpoint (redone now)`);
  notes.push(`${file}: dropped ${parts.join(' and ')}`);
  return notes;
}
