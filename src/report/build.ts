/**
 * `stad report`: one self-contained HTML page about one or more training runs. Sections in reading
 * order: the dataset, training, results, examples (one module each). Charts are vega-lite specs
 * rendered to inline SVG at build time; example images are PNG data URIs: the page loads nothing.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadDataset, type Dataset } from '../data/dataset.js';
import { computeStats } from '../data/stats.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { readCompareInput, type CompareInput } from './compare-input.js';
import { datasetSection } from './dataset-section.js';
import { DEFAULT_EXAMPLES, examplesSection } from './examples-section.js';
import { renderPage, type Section } from './html.js';
import { resultsSection } from './results-section.js';
import { readRuns } from './runs.js';
import { trainingSection } from './training-section.js';

export interface ReportOptions {
  runs: readonly string[];
  /** Dataset folder; default: the first run's `data.dir` when it exists. */
  data?: string;
  out: string;
  /** Example frames of each kind (default 6; 0: no examples section). */
  examples?: number;
  /** compare.json written by `stad compare` (compare-input.ts is its contract). */
  compare?: string;
  /** Folder of `stad test`'s outputs inside each run (default `test-<testSplit>`). */
  testDir?: string;
}

export interface ReportSummary {
  out: string;
  bytes: number;
  sections: string[];
}

export async function buildReportHtml(o: Omit<ReportOptions, 'out'>): Promise<{ html: string; sections: string[] }> {
  const runs = readRuns(o.runs, { testDir: o.testDir });
  const compare: CompareInput | null = o.compare ? readCompareInput(o.compare) : null;
  const dataDir = o.data ?? runs[0]!.config.data.dir;
  if (o.data !== undefined && !existsSync(o.data)) throw new UserError(`--data ${o.data}: no such folder`);
  // Probed (first frame, video header): the examples need frame sizes, and fps places video keyframes.
  const ds: Dataset | null = existsSync(dataDir) ? await loadDataset(dataDir, { actionAttribute: runs[0]!.config.data.actionAttribute }) : null;

  const sections: Section[] = [];
  if (ds) sections.push(await datasetSection(computeStats(ds), resolve(dataDir)));
  sections.push(await trainingSection(runs));
  sections.push(await resultsSection(runs, compare));
  if ((o.examples ?? DEFAULT_EXAMPLES) > 0) sections.push(await examplesSection(runs, ds, o.examples ?? DEFAULT_EXAMPLES));

  const names = runs.map((r) => r.name);
  const html = renderPage({
    title: runs.length > 1 ? `Action detection: ${names[0]} against ${names.slice(1).join(', ')}` : `Action detection: ${names[0]}`,
    subtitle: `${runs.length} training run${runs.length > 1 ? 's' : ''}${ds ? ` on ${ds.classes.length - 1} action classes` : ''}. Each run keeps its colour throughout the page.`,
    runs: names,
    sections,
    footer: `Written by stad report on ${new Date().toISOString().slice(0, 10)}. Charts: Vega-Lite, rendered to SVG when the report was written.`,
  });
  return { html, sections: sections.map((s) => s.id) };
}

/** Builds the report and writes it atomically (a failed build leaves no file behind). */
export async function buildReport(o: ReportOptions): Promise<ReportSummary> {
  const { html, sections } = await buildReportHtml(o);
  writeFileAtomic(o.out, html);
  return { out: resolve(o.out), bytes: Buffer.byteLength(html), sections };
}
