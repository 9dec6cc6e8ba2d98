/**
 * How many cores this process may use: the CPUs it may run on (`os.availableParallelism()`, which
 * respects the affinity mask) capped by the container's CPU quota (cgroup v2 `cpu.max`, cgroup v1
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us`). A container limited to 2 CPUs on a 64-core host sees 64
 * cores in `os.cpus()`; 64 threads there would each be throttled by the quota, far slower than 2.
 *
 * The cgroup files are found as the kernel documents (not at guessed paths): /proc/self/cgroup names
 * the process's cgroup in each hierarchy, /proc/self/mountinfo where each hierarchy is mounted. Every
 * level from the process's cgroup up to the mount's root may carry a limit; the tightest one counts.
 * Everything is read below a root directory (default `/`) so that tests can point it at fake files.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, posix } from 'node:path';
import { UserError } from './errors.js';

interface CgroupMount {
  /** 1 or 2. */
  version: 1 | 2;
  /** Where the hierarchy is mounted, e.g. /sys/fs/cgroup/cpu,cpuacct. */
  mountPoint: string;
  /** Which cgroup of the hierarchy the mount shows at its mount point (`/` unless namespaced). */
  root: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The cgroup mounts that can limit CPU: cgroup2 mounts, and cgroup (v1) mounts of the `cpu` controller. */
function cpuMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    // id parent major:minor root mountPoint options [optional fields...] - fsType source superOptions
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fields = line.slice(0, sep).split(' ');
    const [fsType, , superOptions = ''] = line.slice(sep + 3).split(' ');
    if (fields.length < 5) continue;
    const root = unescapeMountPath(fields[3]!);
    const mountPoint = unescapeMountPath(fields[4]!);
    if (fsType === 'cgroup2') out.push({ version: 2, mountPoint, root });
    else if (fsType === 'cgroup' && superOptions.split(',').includes('cpu')) out.push({ version: 1, mountPoint, root });
  }
  return out;
}

/** mountinfo writes space, tab, newline and backslash in paths as octal escapes (\040 ...). */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The process's cgroup path in the v2 hierarchy and in the v1 hierarchy of the `cpu` controller. */
function ownCgroups(procCgroup: string): { v2?: string; v1cpu?: string } {
  const out: { v2?: string; v1cpu?: string } = {};
  for (const line of procCgroup.split('\n')) {
    // hierarchy-id:controllers:path (the path may itself contain ':')
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const id = m[1]!;
    const controllers = m[2]!;
    const path = m[3]!;
    if (id === '0' && controllers === '') out.v2 = path;
    else if (controllers.split(',').includes('cpu')) out.v1cpu = path;
  }
  return out;
}

/** The CPUs one directory's limit allows (quota / period), or undefined when it sets none. */
function limitIn(dir: string, version: 1 | 2): number | undefined {
  let quota: number;
  let period: number;
  if (version === 2) {
    // "max 100000" (no limit) or "150000 100000"
    const text = readText(join(dir, 'cpu.max'));
    if (text === undefined) return undefined;
    const [q, p] = text.trim().split(/\s+/);
    if (q === 'max') return undefined;
    quota = Number(q);
    period = Number(p);
  } else {
    const q = readText(join(dir, 'cpu.cfs_quota_us'));
    const p = readText(join(dir, 'cpu.cfs_period_us'));
    if (q === undefined || p === undefined) return undefined;
    quota = Number(q.trim()); // -1: no limit
    period = Number(p.trim());
  }
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) return undefined;
  return quota / period;
}

/** 'a/b/c' -> ['a/b/c', 'a/b', 'a', '']. */
function selfAndAncestors(rel: string): string[] {
  const out = [rel];
  while (rel !== '') {
    const up = posix.dirname(rel);
    rel = up === '.' ? '' : up;
    out.push(rel);
  }
  return out;
}

/**
 * The tightest CPU quota over the process's cgroup and its ancestors in every hierarchy that can set
 * one, in CPUs (1.5 = one and a half cores' time per period); undefined when none is set or the files
 * are not there (not Linux, no cgroups mounted).
 */
export function cgroupCpuLimit(root = '/'): number | undefined {
  const mountinfo = readText(join(root, 'proc', 'self', 'mountinfo'));
  const procCgroup = readText(join(root, 'proc', 'self', 'cgroup'));
  if (mountinfo === undefined || procCgroup === undefined) return undefined;
  const own = ownCgroups(procCgroup);
  let limit: number | undefined;
  for (const mount of cpuMounts(mountinfo)) {
    const path = mount.version === 2 ? own.v2 : own.v1cpu;
    if (path === undefined) continue;
    // The mount shows the hierarchy from mount.root down; a cgroup outside it (a path from the host's
    // view of a namespaced container) is not reachable here, so start at the mount point itself.
    const rel = posix.relative(mount.root, path);
    for (const level of selfAndAncestors(rel === '..' || rel.startsWith('../') ? '' : rel)) {
      const l = limitIn(join(root, mount.mountPoint, level), mount.version);
      if (l !== undefined && (limit === undefined || l < limit)) limit = l;
    }
  }
  return limit;
}

/**
 * The cores this process may use, at least 1: `hostCores` (default `os.availableParallelism()`)
 * capped by the cgroup CPU quota found under `root`. A fractional quota rounds down (1.5 CPUs -> 1):
 * a thread more than the quota pays for stalls the whole group until the next period.
 */
export function availableCores(root = '/', hostCores = availableParallelism()): number {
  const limit = cgroupCpuLimit(root);
  const cores = limit === undefined ? hostCores : Math.min(hostCores, Math.floor(limit));
  return Math.max(1, cores);
}

/**
 * libtorch's intra-op thread count for this process: `STAD_NUM_THREADS` when set (a positive integer;
 * anything else is a UserError naming it), else `availableCores()`.
 */
export function defaultThreadCount(env: NodeJS.ProcessEnv = process.env, root = '/'): number {
  const raw = env.STAD_NUM_THREADS;
  if (raw === undefined || raw.trim() === '') return availableCores(root);
  const n = Number(raw.trim());
  if (!Number.isSafeInteger(n) || n < 1) throw new UserError(`STAD_NUM_THREADS: expected a positive integer, got '${raw}'`);
  return n;
}
