/**
 * The dataset section: labelled boxes per class and split (the chart `stad stats` draws), how unequal
 * the classes are (imbalance ratio), and which classes label the same box (co-occurrence heatmap).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { DatasetStats } from '../data/stats.js';
import { classCountsSpec } from './charts.js';
import { chartFigure, escapeHtml, fmt, htmlTable, type Section } from './html.js';
import { CHART_CONFIG } from './theme.js';

/**
 * Heatmaps of how many boxes carry both classes, one per split side by side, off-diagonal pairs only.
 * One chart per split (not a facet) so that each has its own colour range starting at 0: test counts
 * are a fraction of train counts.
 */
export function cooccurrenceSpec(stats: DatasetStats): TopLevelSpec {
  const classes = stats.classes;
  const side = Math.max(160, 34 * classes.length);
  const perSplit = Object.entries(stats.splits).map(([split, s]) => {
    // The diagonal is the class count itself (already in the bar chart); leaving it out keeps the colour
    // scale for the pairs, which are what this chart is about.
    const values = classes.flatMap((a, i) => classes.map((b, j) => ({ a, b, boxes: i === j ? null : (s.cooccurrence[i]?.[j] ?? 0) })));
    const max = Math.max(1, ...values.map((v) => v.boxes ?? 0));
    return {
      title: { text: split, fontSize: 12, fontWeight: 'normal' },
      width: side,
      height: side,
      data: { values },
      encoding: {
        x: { field: 'a', type: 'nominal', sort: classes, title: null, axis: { labelAngle: -40 } },
        y: { field: 'b', type: 'nominal', sort: classes, title: null },
      },
      layer: [
        {
          mark: { type: 'rect', stroke: '#fff', strokeWidth: 1 },
          transform: [{ filter: 'datum.boxes !== null' }],
          encoding: { color: { field: 'boxes', type: 'quantitative', title: `boxes (${split})`, scale: { scheme: 'blues', domain: [0, max] }, legend: { format: 'd', tickMinStep: 1 } } },
        },
        {
          mark: { type: 'text', fontSize: 10 },
          transform: [{ filter: 'datum.boxes !== null' }],
          encoding: { text: { field: 'boxes', type: 'quantitative' }, color: { condition: { test: `datum.boxes > ${max / 2}`, value: '#fff' }, value: '#333' } },
        },
      ],
    };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Boxes labelled with both classes',
    hconcat: perSplit,
    resolve: { scale: { color: 'independent' } },
    config: CHART_CONFIG,
  } as TopLevelSpec;
}

export async function datasetSection(stats: DatasetStats, dataDir: string): Promise<Section> {
  const splits = Object.keys(stats.splits);
  const counts = Object.fromEntries(Object.entries(stats.splits).map(([k, s]) => [k, s.counts]));
  const countRows = stats.classes.map((c, i) => [c, ...splits.map((s) => String(stats.splits[s]!.counts[i] ?? 0))]);
  const imbalanceRows = splits.map((s) => {
    const st = stats.splits[s]!;
    return [s, String(st.videos), String(st.keyframes), String(st.actionBoxes), st.largestToSmallest === null ? '–' : `${fmt(st.largestToSmallest, 2)} : 1`, st.absentClasses.join(', ') || 'none'];
  });
  const html = [
    `<p class="explain">Dataset: <code>${escapeHtml(dataDir)}</code>, ${stats.classes.length} action classes.</p>`,
    '<h3>Labelled boxes per class</h3>',
    '<p class="explain">Each bar counts the people labelled with an action; a class with few boxes is harder to learn.</p>',
    await chartFigure('class-counts', classCountsSpec(stats.classes, counts)),
    htmlTable(['class', ...splits], countRows),
    '<h3>Imbalance</h3>',
    '<p class="explain">The imbalance ratio is the count of the most common class divided by that of the rarest: 1 : 1 would be perfectly balanced.</p>',
    htmlTable(['split', 'videos', 'keyframes', 'labelled boxes', 'imbalance (max / min)', 'classes without boxes'], imbalanceRows),
    '<h3>Classes that occur together</h3>',
    '<p class="explain">A person can do two things at once (e.g. point while pushing); each cell counts the boxes that carry both classes.</p>',
    await chartFigure('cooccurrence', cooccurrenceSpec(stats)),
  ];
  return {
    id: 'dataset',
    title: 'The dataset',
    intro: 'What the models learned from and were tested on: how many examples of each action there are, and how uneven those numbers are.',
    html: html.join('\n'),
  };
}
