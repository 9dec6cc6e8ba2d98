/**
 * Whether the CLI colours what it writes to a stream. In order: an explicit `--color` / `--no-color`;
 * `FORCE_COLOR` (as Node reads it: unset means no opinion, `''`, `1`, `2`, `3`, `true` force colours on,
 * anything else turns them off); `NO_COLOR` when set and not empty (no-color.org); otherwise colours
 * only on a terminal that has them (`hasColors()` also honours `TERM=dumb` and `NODE_DISABLE_COLORS`).
 */
export function useColor(stream: Pick<NodeJS.WriteStream, 'isTTY'> & { hasColors?: () => boolean }, flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag !== undefined) return flag;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return ['', '1', '2', '3', 'true'].includes(force);
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return Boolean(stream.isTTY) && (stream.hasColors?.() ?? false);
}
