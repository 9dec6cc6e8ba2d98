/**
 * A worker started by stad's launcher runs in its own process group (src/distributed/launcher.ts), so
 * nothing stops it when the launcher itself is killed (SIGKILL, a closed SSH session): it would go on
 * training, or wait on a collective until the timeout. It therefore watches its parent and exits as
 * soon as the launcher is gone. Workers of torchrun or Slurm are left to them (the variable is not set).
 */

/** The launcher's pid, in each of its workers' environment. */
export const LAUNCHER_PID_VAR = 'STAD_LAUNCHER_PID';

/**
 * Exits this process (code 1, one line on stderr) once its parent is no longer the launcher named in the
 * environment; checked every `everyMs` while the event loop runs. Returns a function that stops watching.
 */
export function exitWithLauncher(env: Readonly<Record<string, string | undefined>> = process.env, everyMs = 1000): () => void {
  const pid = Number(env[LAUNCHER_PID_VAR]);
  if (!Number.isInteger(pid) || pid <= 0) return () => undefined;
  const timer = setInterval(() => {
    if (process.ppid === pid) return; // re-read on every access (getppid)
    process.stderr.write(`stad train: the launcher (pid ${pid}) is gone: this worker stops\n`);
    process.exit(1);
  }, everyMs);
  timer.unref(); // never what keeps the process alive
  return () => clearInterval(timer);
}
