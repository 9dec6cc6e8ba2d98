/**
 * `npm run bench -- eval [--no-python] [--keep <dir>]`: `stad eval` on an AVA-sized input made here:
 * 300 videos x 100 keyframes, about 100,000 ground-truth rows and 700,000 detections over the 60
 * evaluated classes of the real AVA v2.1 label map (plus rows of the 20 non-evaluated ids, which the
 * evaluator drops). Measures the CLI in a child process (wall seconds and peak RSS), and, when
 * /usr/bin/python3 has numpy, the Python test oracle (the official algorithm on numpy, pooled only)
 * on the same files, checking that both give the same mAP and per-class APs.
 *
 * Prints a table, then one JSON line: {"seconds", "cpuSeconds", "maxRssMb", ...}. Wall seconds depend on
 * what else the machine runs; CPU seconds (user + system) much less, so both are reported.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLabelMap } from '../../src/data/labelmap.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', '..');
const labelsPath = resolve(repoRoot, '..', 'shared', 'fixtures', 'ava', 'ava_action_list_v2.1_for_activitynet_2018.pbtxt');

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Writer {
  private fd: number;
  private parts: string[] = [];
  private size = 0;
  rows = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  line(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    this.rows++;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

const f4 = (x: number): string => x.toFixed(3);

/** Writes gt.csv, det.csv and excluded.csv into `dir`; returns row counts. */
function generate(dir: string): { gt: number; det: number; excluded: number } {
  const rand = mulberry32(5);
  const labels = readLabelMap(labelsPath);
  const evaluated = labels.ids;
  const notEvaluated = Array.from({ length: 80 }, (_, i) => i + 1).filter((id) => !labels.names.has(id));
  const gt = new Writer(join(dir, 'gt.csv'));
  const det = new Writer(join(dir, 'det.csv'));
  const ex = new Writer(join(dir, 'excluded.csv'));
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  // skewed class frequencies, as in AVA: a few classes dominate
  const weighted: number[] = [];
  evaluated.forEach((id, k) => {
    const w = Math.max(1, Math.round(40 / (1 + k)));
    for (let i = 0; i < w; i++) weighted.push(id);
  });
  for (let v = 0; v < 300; v++) {
    const vid = `vid${String(v).padStart(4, '0')}_${Math.floor(rand() * 1e6).toString(36)}`;
    for (let t = 902; t < 1002; t++) {
      const ts = rand() < 0.5 ? String(t) : String(t).padStart(4, '0');
      if (rand() < 0.01) ex.line(`${vid},${t}\n`);
      const people = 1 + Math.floor(rand() * 3); // 1..3, mean 2
      const boxes: [number, number, number, number][] = [];
      const truths: number[][] = [];
      for (let p = 0; p < people; p++) {
        const x1 = rand() * 0.6;
        const y1 = rand() * 0.4;
        const box: [number, number, number, number] = [x1, y1, x1 + 0.1 + rand() * 0.3, y1 + 0.2 + rand() * 0.4];
        boxes.push(box);
        const nLabels = 1 + Math.floor(rand() * 2.3); // mean ~1.65
        const used = new Set<number>();
        truths.push([]);
        for (let k = 0; k < nLabels; k++) {
          const a = rand() < 0.03 ? pick(notEvaluated) : pick(weighted);
          if (used.has(a)) continue;
          used.add(a);
          truths[p]!.push(a);
          gt.line(`${vid},${ts},${f4(box[0])},${f4(box[1])},${f4(box[2])},${f4(box[3])},${a},${p}\n`);
        }
      }
      // detections: each person box (jittered) with its true actions scored high-ish and other classes
      // scored low, and sometimes a spurious box; a few frames get more than 50 detections
      const detBoxes = boxes.map((b, p) => ({ box: b.map((c) => Math.min(1, Math.max(0, c + (rand() - 0.5) * 0.08))) as [number, number, number, number], truth: truths[p]! }));
      if (rand() < 0.5) {
        const x1 = rand() * 0.7;
        const y1 = rand() * 0.5;
        detBoxes.push({ box: [x1, y1, x1 + 0.05 + rand() * 0.25, y1 + 0.1 + rand() * 0.4], truth: [] });
      }
      const perBox = rand() < 0.04 ? 30 : 8 + Math.floor(rand() * 2);
      for (const { box: b, truth } of detBoxes) {
        for (let k = 0; k < perBox; k++) {
          const a = k < truth.length && rand() < 0.8 ? truth[k]! : rand() < 0.05 ? pick(notEvaluated) : pick(weighted);
          const score = Math.round((k < truth.length ? 0.2 + 0.8 * rand() : rand() ** 3) * 1e4) / 1e4;
          det.line(`${vid},${ts},${f4(b[0])},${f4(b[1])},${f4(b[2])},${f4(b[3])},${a},${score}\n`);
        }
      }
    }
  }
  gt.close();
  det.close();
  ex.close();
  return { gt: gt.rows, det: det.rows, excluded: ex.rows };
}

interface Measured {
  seconds: number;
  cpuSeconds: number;
  maxRssMb: number;
  mAP: number | null;
  perClass: Record<string, number | null>;
}

function runStad(dir: string): Measured {
  const args = ['eval', '--gt', join(dir, 'gt.csv'), '--pred', join(dir, 'det.csv'), '--labels', labelsPath, '--exclude', join(dir, 'excluded.csv'), '--json', '--per-video'];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'bench', 'eval', 'child.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`stad eval failed (${r.status}): ${r.stderr}`);
  const m = /MAXRSS_KB (\d+) CPU_S ([0-9.]+)/.exec(r.stderr);
  const out = JSON.parse(r.stdout) as { mAP: number | null; perClass: Record<string, number | null> };
  return { seconds, cpuSeconds: m ? Number(m[2]) : Number.NaN, maxRssMb: m ? Number(m[1]) / 1024 : Number.NaN, mAP: out.mAP, perClass: out.perClass };
}

function runPython(dir: string): Measured | undefined {
  const py = '/usr/bin/python3';
  if (!existsSync(py) || spawnSync(py, ['-c', 'import numpy'], { encoding: 'utf8' }).status !== 0) return undefined;
  const oracle = join(repoRoot, 'test', 'eval', 'oracle', 'ava_oracle.py');
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'MAXRSS_KB %M CPU_S %U %S', py, oracle, '--pooled-only', join(dir, 'gt.csv'), join(dir, 'det.csv'), labelsPath, join(dir, 'excluded.csv')], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`python oracle failed: ${r.stderr}`);
  const m = /MAXRSS_KB (\d+) CPU_S ([0-9.]+) ([0-9.]+)/.exec(r.stderr);
  return {
    seconds,
    cpuSeconds: m ? Number(m[2]) + Number(m[3]) : Number.NaN,
    maxRssMb: m ? Number(m[1]) / 1024 : Number.NaN,
    ...(JSON.parse(r.stdout) as { mAP: number | null; perClass: Record<string, number | null> }),
  };
}

const argv = process.argv.slice(2);
const keepIdx = argv.indexOf('--keep');
const dir = keepIdx >= 0 ? resolve(argv[keepIdx + 1]!) : mkdtempSync(join(tmpdir(), 'stad-bench-eval-'));
mkdirSync(dir, { recursive: true });
try {
  const g0 = performance.now();
  const counts = generate(dir);
  const genSeconds = (performance.now() - g0) / 1000;
  const stad = runStad(dir);
  const python = argv.includes('--no-python') || !existsSync('/usr/bin/time') ? undefined : runPython(dir);
  const rows: [string, string, string, string, string][] = [['', 'wall s', 'CPU s', 'peak RSS MB', 'pooled mAP']];
  rows.push(['stad eval (pooled + 300 videos)', stad.seconds.toFixed(2), stad.cpuSeconds.toFixed(2), stad.maxRssMb.toFixed(0), String(stad.mAP)]);
  if (python) rows.push(['python oracle (pooled only)', python.seconds.toFixed(2), python.cpuSeconds.toFixed(2), python.maxRssMb.toFixed(0), String(python.mAP)]);
  console.log(`input: ${counts.gt} ground-truth rows, ${counts.det} detections, ${counts.excluded} excluded frames, 300 videos (generated in ${genSeconds.toFixed(1)} s)`);
  for (const r of rows) console.log(`${r[0].padEnd(34)}${r[1].padStart(9)}${r[2].padStart(9)}${r[3].padStart(13)}  ${r[4]}`);
  // the same mAP and the same AP for every class, to 1e-9
  const same = (a: number | null | undefined, b: number | null | undefined): boolean => (a === null || b === null ? a === b : a !== undefined && b !== undefined && Math.abs(a - b) <= 1e-9);
  const agree = python ? same(stad.mAP, python.mAP) && Object.keys(python.perClass).every((k) => same(stad.perClass[k], python.perClass[k])) : undefined;
  if (python) console.log(`speed-up over the python oracle: ${(python.seconds / stad.seconds).toFixed(1)}x wall, ${(python.cpuSeconds / stad.cpuSeconds).toFixed(1)}x CPU; same mAP and per-class APs (1e-9): ${agree}`);
  console.log(
    JSON.stringify({
      seconds: Number(stad.seconds.toFixed(3)),
      cpuSeconds: Number(stad.cpuSeconds.toFixed(3)),
      maxRssMb: Number(stad.maxRssMb.toFixed(1)),
      gtRows: counts.gt,
      detections: counts.det,
      videos: 300,
      mAP: stad.mAP,
      pythonSeconds: python ? Number(python.seconds.toFixed(3)) : null,
      pythonCpuSeconds: python ? Number(python.cpuSeconds.toFixed(3)) : null,
      pythonMaxRssMb: python ? Number(python.maxRssMb.toFixed(1)) : null,
      speedup: python ? Number((python.seconds / stad.seconds).toFixed(2)) : null,
      cpuSpeedup: python ? Number((python.cpuSeconds / stad.cpuSeconds).toFixed(2)) : null,
      sameAsOracle: agree ?? null,
    }),
  );
} finally {
  if (keepIdx < 0) rmSync(dir, { recursive: true, force: true });
}
