/**
 * gpustat's familiar view of a `GpuSnapshot`, as text (optionally coloured) and as JSON. Pure: the
 * caller decides whether colours are on and where the text goes.
 *
 *   host  Wed Mar 13 10:20:30 2024  560.35.03
 *   [0] NVIDIA H200 | 47°C,  97 % |  71342 / 143771 MB | 612 / 700 W | python3.11/2714(70688M) node/3391(532M)
 *
 * Memory is in MiB (nvidia-smi's unit) and labelled MB, as gpustat does.
 */
import { styleText } from 'node:util';
import type { GpuStatus } from './nvidia-smi.js';
import type { GpuProcess, GpuSnapshot } from './snapshot.js';

type StyleFormat = Parameters<typeof styleText>[0];
/** Wraps text in terminal styles, or returns it unchanged when colours are off. */
export type Styler = (format: StyleFormat, text: string) => string;

/**
 * Node's `util.styleText`, switched by `color`. The caller has already decided (see `useColor`), so the
 * stream check that styleText can make is turned off.
 */
export function styler(color: boolean): Styler {
  return color ? (format, text) => styleText(format, text, { validateStream: false }) : (_format, text) => text;
}

export interface FormatOptions {
  /** `-c`: the command's name. */
  showCmd?: boolean;
  /** `-p`: the pid. */
  showPid?: boolean;
  /** `-u`: the owner (also shown when the command is not, as gpustat does). */
  showUser?: boolean;
  style?: Styler;
}

const UNKNOWN = '??';

function num(v: number | null, digits = 0): string {
  return v === null ? UNKNOWN : v.toFixed(digits);
}

/** `Wed Mar 13 10:20:30 2024` in local time, as gpustat's header shows it. */
export function formatClock(d: Date): string {
  return `${d.toDateString().slice(0, 10)} ${d.toTimeString().slice(0, 8)} ${d.getFullYear()}`;
}

/** One process: `[user:][command][/pid](memM)`. */
export function formatProcess(p: GpuProcess, opts: FormatOptions = {}): string {
  const s = opts.style ?? styler(false);
  const parts: string[] = [];
  if (opts.showUser || !opts.showCmd) parts.push(s('gray', p.user ?? '--'));
  if (opts.showCmd) parts.push(s('blue', p.command ?? '--'));
  let out = parts.join(':');
  if (opts.showPid) out += `/${p.pid}`;
  return `${out}(${s('yellow', `${num(p.usedMemoryMiB)}M`)})`;
}

/** The header and one line per GPU, each ending in a newline. */
export function formatSnapshot(snap: GpuSnapshot, opts: FormatOptions = {}): string {
  const s = opts.style ?? styler(false);
  const header = `${s('bold', snap.hostname)}  ${formatClock(snap.time)}  ${s(['bold', 'gray'], snap.driverVersion ?? UNKNOWN)}`;
  if (snap.gpus.length === 0) return `${header}\n(no GPU found)\n`;
  // Columns line up across GPUs: pad each to its widest value.
  const width = (values: string[], min = 0): number => Math.max(min, ...values.map((v) => v.length));
  const gpus = snap.gpus;
  const wIndex = width(gpus.map((g) => String(g.index)));
  const wName = width(gpus.map((g) => g.name));
  const wMem = width(gpus.flatMap((g) => [num(g.memoryUsedMiB), num(g.memoryTotalMiB)]), 5);
  const wPow = width(gpus.flatMap((g) => [num(g.powerDrawW), num(g.powerLimitW)]), 3);
  const lines = gpus.map((g) => {
    const hot = g.temperatureC !== null && g.temperatureC >= 50;
    const busy = g.utilizationPct !== null && g.utilizationPct >= 50;
    const fields = [
      `${s('cyan', `[${String(g.index).padStart(wIndex)}]`)} ${s('blue', g.name.padEnd(wName))}`,
      `${s(hot ? ['bold', 'red'] : 'red', `${num(g.temperatureC).padStart(2)}°C`)}, ${s(busy ? ['bold', 'green'] : 'green', `${num(g.utilizationPct).padStart(3)} %`)}`,
      `${s(['bold', 'yellow'], num(g.memoryUsedMiB).padStart(wMem))} / ${s('yellow', num(g.memoryTotalMiB).padStart(wMem))} MB`,
      `${s(['bold', 'magenta'], num(g.powerDrawW).padStart(wPow))} / ${s('magenta', num(g.powerLimitW).padStart(wPow))} W`,
    ];
    if (g.processes.length > 0) fields.push(g.processes.map((p) => formatProcess(p, opts)).join(' '));
    return fields.join(' | ');
  });
  return `${header}\n${lines.join('\n')}\n`;
}

/** The JSON of one refresh; field names follow nvidia-smi's query names (and gpustat's `--json`). */
export interface SnapshotJson {
  hostname: string;
  query_time: string;
  driver_version: string | null;
  gpus: Array<{
    index: number;
    uuid: string;
    name: string;
    'temperature.gpu': number | null;
    'utilization.gpu': number | null;
    /** MiB */
    'memory.used': number | null;
    /** MiB */
    'memory.total': number | null;
    /** W */
    'power.draw': number | null;
    /** W */
    'enforced.power.limit': number | null;
    processes: Array<{
      pid: number;
      username: string | null;
      command: string | null;
      full_command: string[] | null;
      process_name: string | null;
      /** MiB */
      gpu_memory_usage: number | null;
    }>;
  }>;
}

export function snapshotToJson(snap: GpuSnapshot): SnapshotJson {
  return {
    hostname: snap.hostname,
    query_time: snap.time.toISOString(),
    driver_version: snap.driverVersion,
    gpus: snap.gpus.map((g) => ({
      index: g.index,
      uuid: g.uuid,
      name: g.name,
      'temperature.gpu': g.temperatureC,
      'utilization.gpu': g.utilizationPct,
      'memory.used': g.memoryUsedMiB,
      'memory.total': g.memoryTotalMiB,
      'power.draw': g.powerDrawW,
      'enforced.power.limit': g.powerLimitW,
      processes: g.processes.map((p) => ({
        pid: p.pid,
        username: p.user,
        command: p.command,
        full_command: p.fullCommand,
        process_name: p.processName,
        gpu_memory_usage: p.usedMemoryMiB,
      })),
    })),
  };
}

/**
 * A short figure for a progress line: `GPU0 97% 69.7/140.4 GiB`. `stad train` can append it to its
 * progress info every few seconds (see `queryGpus`).
 */
export function formatGpuSummary(g: GpuStatus): string {
  const gib = (mib: number | null): string => (mib === null ? UNKNOWN : (mib / 1024).toFixed(1));
  return `GPU${g.index} ${num(g.utilizationPct)}% ${gib(g.memoryUsedMiB)}/${gib(g.memoryTotalMiB)} GiB`;
}
