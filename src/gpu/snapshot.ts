/**
 * One refresh of `stad gpustat`: every GPU with the processes on it, each process's owner and command
 * line, the host and the time. Two nvidia-smi spawns (GPUs, then compute processes) and a few procfs
 * reads.
 */
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { readComputeApps, readGpus, type GpuStatus, type RunOptions } from './nvidia-smi.js';
import { readProcesses, type ProcOptions } from './procs.js';

export interface GpuProcess {
  pid: number;
  /** GPU memory this process holds, MiB; null when the driver does not say. */
  usedMemoryMiB: number | null;
  user: string | null;
  /** The command's name: from procfs, else the base name of nvidia-smi's process name. */
  command: string | null;
  fullCommand: string[] | null;
  /** The executable as nvidia-smi names it. */
  processName: string | null;
}

export interface GpuWithProcesses extends GpuStatus {
  processes: GpuProcess[];
}

export interface GpuSnapshot {
  hostname: string;
  time: Date;
  /** The driver's version (the same on every GPU), null when unknown. */
  driverVersion: string | null;
  gpus: GpuWithProcesses[];
}

export interface SnapshotOptions extends RunOptions, ProcOptions {
  now?: () => Date;
}

/** Queries nvidia-smi and procfs; throws `NvidiaSmiError` when nvidia-smi cannot be read. */
export async function takeSnapshot(opts: SnapshotOptions = {}): Promise<GpuSnapshot> {
  const time = (opts.now ?? (() => new Date()))();
  const gpus = await readGpus(opts);
  // Processes only when there is a GPU: an error in the first query is the one to show.
  const apps = gpus.length > 0 ? await readComputeApps(opts) : [];
  const info = readProcesses([...new Set(apps.map((a) => a.pid))], opts);
  const byUuid = new Map<string, GpuProcess[]>(gpus.map((g) => [g.uuid, []]));
  for (const a of apps) {
    const p = info.get(a.pid);
    const fromSmi = a.processName === null ? null : basename(a.processName) || a.processName;
    // A process that holds contexts on several GPUs appears once per GPU, as nvidia-smi lists it.
    byUuid.get(a.gpuUuid)?.push({
      pid: a.pid,
      usedMemoryMiB: a.usedMemoryMiB,
      user: p?.user ?? null,
      command: p?.command ?? fromSmi,
      fullCommand: p?.fullCommand ?? null,
      processName: a.processName,
    });
  }
  return {
    hostname: hostname(),
    time,
    driverVersion: gpus.find((g) => g.driverVersion !== null)?.driverVersion ?? null,
    gpus: gpus.map((g) => ({ ...g, processes: byUuid.get(g.uuid) ?? [] })),
  };
}
