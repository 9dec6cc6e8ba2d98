/**
 * Reads GPU state from `nvidia-smi`'s CSV query interface (`--query-gpu`, `--query-compute-apps`,
 * `--format=csv,noheader,nounits`; field names as `nvidia-smi --help-query-gpu` and
 * `--help-query-compute-apps` document them). One spawn per query; nothing here loads libtorch, so the
 * CLI can show the GPU without the native binding, and training can poll it cheaply.
 *
 * nvidia-smi's CSV quotes nothing and separates fields with ", ": a free-text field (a GPU or process
 * name, which may hold commas) is therefore always queried last and read as the rest of the line.
 * Values a GPU does not report come as `[N/A]`, `[Not Supported]`, `[Insufficient Permissions]`...;
 * they become `null`.
 */
import { execFile } from 'node:child_process';

/** Fields of `--query-gpu`, in output order; `name` last (see above). */
export const GPU_QUERY_FIELDS = [
  'index',
  'uuid',
  'driver_version',
  'temperature.gpu',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'power.draw',
  'enforced.power.limit',
  'name',
] as const;

/** Fields of `--query-compute-apps`, in output order; `process_name` last (see above). */
export const APPS_QUERY_FIELDS = ['gpu_uuid', 'pid', 'used_gpu_memory', 'process_name'] as const;

/** One GPU as nvidia-smi reports it. Memory in MiB (what nvidia-smi calls MiB), power in W. */
export interface GpuStatus {
  /** nvidia-smi's index (PCI bus order by default; CUDA's own order may differ, see `selectGpu`). */
  index: number;
  uuid: string;
  name: string;
  driverVersion: string | null;
  temperatureC: number | null;
  /** Percent of time a kernel was running over the driver's last sample period. */
  utilizationPct: number | null;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  powerDrawW: number | null;
  powerLimitW: number | null;
}

/** One process holding a compute context on a GPU. */
export interface ComputeApp {
  gpuUuid: string;
  pid: number;
  usedMemoryMiB: number | null;
  /** The executable as the driver sees it (a path, may contain spaces and commas); null when hidden. */
  processName: string | null;
}

/**
 * Why nvidia-smi could not be read: `missing` (not on PATH), `no-driver` (it ran but could not talk to
 * the driver), `failed` (anything else: a non-zero exit, a timeout, output we cannot parse).
 */
export type NvidiaSmiFailure = 'missing' | 'no-driver' | 'failed';

/** nvidia-smi could not be read; the message is one line, fit to show as is. */
export class NvidiaSmiError extends Error {
  constructor(
    message: string,
    readonly reason: NvidiaSmiFailure,
    /** The signal that ended nvidia-smi, when one did (a Ctrl-C on the terminal reaches it too). */
    readonly signal?: NodeJS.Signals,
  ) {
    super(message);
    this.name = 'NvidiaSmiError';
  }
}

export interface RunOptions {
  /** The executable, looked up on PATH unless it holds a slash. */
  command?: string;
  /** nvidia-smi can hang when the driver is wedged; a monitor must not. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Runs nvidia-smi with `args` and returns its stdout; throws `NvidiaSmiError`. */
export function runNvidiaSmi(args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const command = opts.command ?? 'nvidia-smi';
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: 16 << 20, windowsHide: true }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: NodeJS.Signals | null; code?: string | number | null };
      if (e.code === 'ENOENT') return reject(new NvidiaSmiError(`${command} not found on PATH: no NVIDIA driver is installed`, 'missing'));
      if (e.code === 'EACCES') return reject(new NvidiaSmiError(`${command}: permission denied`, 'failed'));
      if (e.killed || e.signal) {
        const why = e.killed && e.signal === 'SIGTERM' ? `gave no answer within ${((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000).toFixed(0)} s` : `was killed by ${e.signal}`;
        return reject(new NvidiaSmiError(`${command} ${why}`, 'failed', e.signal ?? undefined));
      }
      // nvidia-smi writes its errors on stdout; the first non-empty line says what went wrong.
      const said = firstLine(`${stdout}\n${stderr}`);
      const status = typeof e.code === 'number' ? e.code : '?';
      if (/couldn't communicate with the NVIDIA driver|No devices were found|driver\/library version mismatch/i.test(said)) {
        return reject(new NvidiaSmiError(`no usable NVIDIA driver: ${said}`, 'no-driver'));
      }
      reject(new NvidiaSmiError(`${command} exited with status ${status}${said ? `: ${said}` : ''}`, 'failed'));
    });
  });
}

function firstLine(text: string): string {
  return text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '') ?? '';
}

/** Splits one CSV line into `n` fields, the last being the rest of the line (it may hold ", "). */
export function splitFields(line: string, n: number): string[] | null {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < n - 1; i++) {
    const comma = line.indexOf(',', start);
    if (comma < 0) return null;
    out.push(line.slice(start, comma).trim());
    start = comma + 1;
  }
  // nvidia-smi puts exactly one space after each comma; anything more belongs to the name.
  out.push(line.slice(line[start] === ' ' ? start + 1 : start).replace(/\s+$/, ''));
  return out;
}

/** `[N/A]`, `[Not Supported]`, `[Unknown Error]`, `N/A`: a value the GPU does not report. */
function isMissing(v: string): boolean {
  return /^\[.*\]$/.test(v) || v === 'N/A' || v === '';
}

function parseLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '');
}

function numberField(v: string, field: string, lineNo: number, what: string): number | null {
  if (isMissing(v)) return null;
  const x = Number(v);
  if (!Number.isFinite(x)) throw new NvidiaSmiError(`nvidia-smi ${what}, line ${lineNo}: ${field}: expected a number, got ${JSON.stringify(v)}`, 'failed');
  return x;
}

function textField(v: string): string | null {
  return isMissing(v) ? null : v;
}

/** Parses the output of `--query-gpu=<GPU_QUERY_FIELDS> --format=csv,noheader,nounits`. */
export function parseGpuCsv(text: string): GpuStatus[] {
  return parseLines(text).map((line, i) => {
    const lineNo = i + 1;
    const f = splitFields(line, GPU_QUERY_FIELDS.length);
    if (!f) throw new NvidiaSmiError(`nvidia-smi --query-gpu, line ${lineNo}: expected ${GPU_QUERY_FIELDS.length} fields, got ${JSON.stringify(line)}`, 'failed');
    const num = (k: number): number | null => numberField(f[k]!, GPU_QUERY_FIELDS[k]!, lineNo, '--query-gpu');
    const index = num(0);
    if (index === null || !Number.isInteger(index)) throw new NvidiaSmiError(`nvidia-smi --query-gpu, line ${lineNo}: index: expected an integer, got ${JSON.stringify(f[0])}`, 'failed');
    return {
      index,
      uuid: f[1]!,
      driverVersion: textField(f[2]!),
      temperatureC: num(3),
      utilizationPct: num(4),
      memoryUsedMiB: num(5),
      memoryTotalMiB: num(6),
      powerDrawW: num(7),
      powerLimitW: num(8),
      name: textField(f[9]!) ?? 'unknown GPU',
    };
  });
}

/** Parses the output of `--query-compute-apps=<APPS_QUERY_FIELDS> --format=csv,noheader,nounits`. */
export function parseComputeAppsCsv(text: string): ComputeApp[] {
  // Some drivers print this sentence instead of nothing when no process holds a context.
  return parseLines(text)
    .filter((l) => !/^No running (compute )?processes found/i.test(l.trim()))
    .map((line, i) => {
      const lineNo = i + 1;
      const f = splitFields(line, APPS_QUERY_FIELDS.length);
      if (!f) throw new NvidiaSmiError(`nvidia-smi --query-compute-apps, line ${lineNo}: expected ${APPS_QUERY_FIELDS.length} fields, got ${JSON.stringify(line)}`, 'failed');
      const pid = numberField(f[1]!, 'pid', lineNo, '--query-compute-apps');
      if (pid === null || !Number.isSafeInteger(pid) || pid <= 0) throw new NvidiaSmiError(`nvidia-smi --query-compute-apps, line ${lineNo}: pid: expected a positive integer, got ${JSON.stringify(f[1])}`, 'failed');
      return {
        gpuUuid: f[0]!,
        pid,
        usedMemoryMiB: numberField(f[2]!, 'used_gpu_memory', lineNo, '--query-compute-apps'),
        processName: textField(f[3]!),
      };
    });
}

const CSV_FORMAT = '--format=csv,noheader,nounits';

/** Every GPU's state (one nvidia-smi spawn); throws `NvidiaSmiError`. */
export async function readGpus(opts: RunOptions = {}): Promise<GpuStatus[]> {
  return parseGpuCsv(await runNvidiaSmi([`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, CSV_FORMAT], opts));
}

/** Every process holding a compute context, on any GPU (one nvidia-smi spawn); throws `NvidiaSmiError`. */
export async function readComputeApps(opts: RunOptions = {}): Promise<ComputeApp[]> {
  return parseComputeAppsCsv(await runNvidiaSmi([`--query-compute-apps=${APPS_QUERY_FIELDS.join(',')}`, CSV_FORMAT], opts));
}

/** How long `queryGpus` reuses an answer. */
export const QUERY_CACHE_MS = 2000;

let cached: { at: number; settled: boolean; value: Promise<GpuStatus[] | null> } | undefined;

/**
 * Every GPU's state for a progress line, or null when it cannot be read (no nvidia-smi, no driver, an
 * nvidia-smi that fails or hangs): a monitor never stops the work it watches. One nvidia-smi spawn at
 * most every `QUERY_CACHE_MS`; calls within that time, or while a query still runs (a slow nvidia-smi
 * must not pile up), share its answer.
 */
export function queryGpus(): Promise<GpuStatus[] | null> {
  const now = performance.now();
  if (cached && (!cached.settled || now - cached.at < QUERY_CACHE_MS)) return cached.value;
  const entry = { at: now, settled: false, value: Promise.resolve<GpuStatus[] | null>(null) };
  entry.value = readGpus()
    .catch(() => null)
    .finally(() => {
      entry.settled = true;
    });
  cached = entry;
  return entry.value;
}

/** Forgets `queryGpus`'s cached answer (for tests, or after a GPU was reset). */
export function clearGpuQueryCache(): void {
  cached = undefined;
}

/**
 * The GPU that CUDA device `cudaIndex` (as in `cuda:N`) is, under `CUDA_VISIBLE_DEVICES` (indices or
 * UUIDs, possibly abbreviated, comma-separated). Without it, CUDA's index is taken as nvidia-smi's; the
 * two agree when `CUDA_DEVICE_ORDER=PCI_BUS_ID` or all GPUs are the same model (CUDA's default order puts
 * the fastest first). Undefined when no GPU matches.
 */
export function selectGpu(gpus: readonly GpuStatus[], cudaIndex = 0, visibleDevices: string | undefined = process.env.CUDA_VISIBLE_DEVICES): GpuStatus | undefined {
  if (visibleDevices === undefined || visibleDevices.trim() === '') return gpus.find((g) => g.index === cudaIndex);
  const entry = visibleDevices.split(',')[cudaIndex]?.trim();
  if (!entry) return undefined;
  if (/^\d+$/.test(entry)) return gpus.find((g) => g.index === Number(entry));
  const id = entry.startsWith('GPU-') ? entry : `GPU-${entry}`;
  const matches = gpus.filter((g) => g.uuid.startsWith(id));
  return matches.length === 1 ? matches[0] : undefined;
}
