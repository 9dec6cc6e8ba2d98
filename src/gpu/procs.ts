/**
 * Who runs a GPU process and what it is, from procfs: the owner from `/proc/<pid>/status` (its real
 * Uid) and the passwd database, the command line from `/proc/<pid>/cmdline`. A pid nvidia-smi reports
 * may be invisible here (another PID namespace, e.g. a container, or gone since the query): its fields
 * are then null and the caller falls back to what nvidia-smi said.
 *
 * `STAD_PROCFS` names another procfs mount (a container with the host's mounted at /host/proc sees the
 * host's GPU processes through it; the tests point it at a made-up tree).
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { userInfo } from 'node:os';

export interface ProcessInfo {
  pid: number;
  /** The owner's name; the numeric uid when the passwd database does not know it; null when unknown. */
  user: string | null;
  /** The executable's base name (argv[0], else the kernel's `comm`); null when unknown. */
  command: string | null;
  /** argv as the process sees it; null when unknown (empty for kernel threads). */
  fullCommand: string[] | null;
}

export interface ProcOptions {
  /** The procfs mount; default `$STAD_PROCFS` or `/proc`. */
  procfs?: string;
  /** The passwd database; default `/etc/passwd`. */
  passwdFile?: string;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** uid -> user name from a passwd file (`name:password:uid:gid:gecos:home:shell` lines). */
export function readPasswd(passwdFile = '/etc/passwd'): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of (readOrNull(passwdFile) ?? '').split('\n')) {
    if (line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3 || f[0] === '' || !/^\d+$/.test(f[2]!)) continue;
    const uid = Number(f[2]);
    // the first entry for a uid is the one getpwuid(3) returns
    if (!users.has(uid)) users.set(uid, f[0]!);
  }
  return users;
}

/** The real uid in a `/proc/<pid>/status` text, or null. */
export function parseStatusUid(status: string): number | null {
  const m = /^Uid:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : null;
}

/** Our own user, which needs no passwd entry (a container user often has none). */
function ownUser(): { uid: number; name: string } | null {
  try {
    const u = userInfo();
    return { uid: u.uid, name: u.username };
  } catch {
    return null;
  }
}

/** Looks up each pid in procfs. Reads the passwd database once for all of them. */
export function readProcesses(pids: readonly number[], opts: ProcOptions = {}): Map<number, ProcessInfo> {
  const procfs = opts.procfs ?? (process.env.STAD_PROCFS || '/proc');
  let users: Map<number, string> | undefined;
  const me = ownUser();
  const userName = (uid: number): string => {
    if (me && uid === me.uid) return me.name;
    users ??= readPasswd(opts.passwdFile);
    return users.get(uid) ?? String(uid);
  };
  const out = new Map<number, ProcessInfo>();
  for (const pid of pids) {
    // A pid comes from nvidia-smi's output: only a positive integer may become a path.
    if (!Number.isSafeInteger(pid) || pid <= 0) {
      out.set(pid, { pid, user: null, command: null, fullCommand: null });
      continue;
    }
    const dir = join(procfs, String(pid));
    const status = readOrNull(join(dir, 'status'));
    const uid = status === null ? null : parseStatusUid(status);
    const cmdline = readOrNull(join(dir, 'cmdline'));
    // NUL-terminated arguments; a kernel thread or a zombie has none
    const argv = cmdline === null ? null : cmdline.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
    const comm = argv && argv.length > 0 ? null : readOrNull(join(dir, 'comm'))?.trim() || null;
    out.set(pid, {
      pid,
      user: uid === null ? null : userName(uid),
      command: argv && argv.length > 0 ? basename(argv[0]!) || argv[0]! : comm,
      fullCommand: argv,
    });
  }
  return out;
}
