/**
 * The results section, from each run's `stad test` report.json: mAP per test video and all_mAP (their
 * mean) per run, and AP per class per run, as grouped bars with the numbers in a table beneath. With a
 * compare.json, AP per class per recipe over seeds with its intervals as error bars.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CompareInput, CompareSummary } from './compare-input.js';
import type { RunInput } from './runs.js';
import { bestPerRow, chartFigure, escapeHtml, fmt, htmlTable, type Section } from './html.js';
import { CHART_CONFIG, runColourEncoding } from './theme.js';

interface Bar {
  group: string;
  run: string;
  value: number | null;
}

/** Grouped bars: one group per `group`, one bar per run in its colour, the value written above. */
export function groupedBarsSpec(title: string, bars: readonly Bar[], groups: readonly string[], runs: readonly string[], yTitle: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: Math.max(260, groups.length * (24 * runs.length + 30)),
    height: 230,
    data: { values: bars.map((b) => ({ ...b })) },
    transform: [{ filter: 'isValid(datum.value)' }],
    encoding: {
      x: { field: 'group', type: 'nominal', sort: [...groups], title: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'run', type: 'nominal', sort: [...runs] },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { domain: [0, 1] } },
      color: runColourEncoding(runs),
    },
    layer: [
      { mark: { type: 'bar', tooltip: true } },
      { mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 9 }, encoding: { text: { field: 'value', type: 'quantitative', format: '.2f' }, color: { value: '#333' } } },
    ],
    config: CHART_CONFIG,
  } as TopLevelSpec;
}

/** AP per class per recipe over seeds: the mean as a bar, the resampling interval as an error bar. */
export function compareSpec(c: CompareInput, classes: readonly string[]): TopLevelSpec {
  const recipes = c.recipes.map((r) => r.name);
  const row = (cls: string, recipe: string, s: CompareSummary) => ({ class: cls, recipe, mean: s.mean, lo: s.ci[0], hi: s.ci[1] });
  const values = c.recipes.flatMap((r) => [row('all_mAP', r.name, r.allMAP), ...r.perClass.map((p) => row(p.class, r.name, p))]);
  const groups = ['all_mAP', ...classes];
  const colour = { ...runColourEncoding(recipes, 'recipe'), field: 'recipe' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `AP per class over seeds (${Math.round(c.bootstrap.level * 100)}% intervals)`,
    width: Math.max(260, groups.length * (24 * recipes.length + 30)),
    height: 230,
    data: { values },
    encoding: {
      x: { field: 'class', type: 'nominal', sort: groups, title: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'recipe', type: 'nominal', sort: recipes },
    },
    layer: [
      {
        mark: { type: 'bar', tooltip: true },
        transform: [{ filter: 'isValid(datum.mean)' }],
        encoding: { y: { field: 'mean', type: 'quantitative', title: 'AP (mean over seeds)', scale: { domain: [0, 1] } }, color: colour },
      },
      {
        mark: { type: 'rule', strokeWidth: 1.5 },
        transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
        encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { value: '#222' } },
      },
    ],
    config: CHART_CONFIG,
  } as TopLevelSpec;
}

export async function resultsSection(runs: readonly RunInput[], compare: CompareInput | null): Promise<Section> {
  const tested = runs.filter((r) => r.test !== null);
  const names = tested.map((r) => r.name);
  const html: string[] = [];
  const untested = runs.filter((r) => r.test === null).map((r) => r.name);
  if (untested.length > 0) html.push(`<p class="note">No <code>stad test</code> results for ${escapeHtml(untested.join(', '))} (expected report.json in the run's test-&lt;split&gt; folder).</p>`);
  if (tested.length > 0) {
    // Per video, then all_mAP (their mean) and the pooled mAP as the last groups.
    const videos = [...new Set(tested.flatMap((r) => r.test!.perVideo.map((v) => v.video)))];
    const rows: { label: string; values: (number | null)[] }[] = [
      ...videos.map((v) => ({ label: v, values: tested.map((r) => r.test!.perVideo.find((p) => p.video === v)?.mAP ?? null) })),
      { label: 'all_mAP', values: tested.map((r) => r.test!.allMAP) },
    ];
    const bars = rows.flatMap((row) => row.values.map((value, i) => ({ group: row.label, run: names[i]!, value })));
    const pooled = { label: 'pooled mAP', values: tested.map((r) => r.test!.pooledMAP) };
    html.push(
      '<h3>mAP per test video</h3>',
      '<p class="explain">Each group is one test video; all_mAP, the headline figure, is their mean. Higher is better (1.0 is perfect).</p>',
      await chartFigure('per-video', groupedBarsSpec('mAP@0.5IoU per test video', bars, rows.map((r) => r.label), names, 'mAP@0.5IoU')),
      htmlTable(['video', ...names], [...rows, pooled].map((r) => [r.label, ...r.values.map((v) => fmt(v))]), bestPerRow([...rows, pooled].map((r) => r.values))),
    );
    const classes = [...new Set(tested.flatMap((r) => [...r.test!.perClass.keys()]))];
    const ap = classes.map((c) => tested.map((r) => r.test!.perClass.get(c) ?? null));
    html.push(
      '<h3>AP per class</h3>',
      '<p class="explain">Average precision of each action over all test videos: rare classes are where the losses differ most.</p>',
      await chartFigure('per-class', groupedBarsSpec('AP@0.5IoU per class (pooled over the test videos)', classes.flatMap((c, k) => ap[k]!.map((value, i) => ({ group: c, run: names[i]!, value }))), classes, names, 'AP@0.5IoU')),
      htmlTable(['class', ...names], classes.map((c, k) => [c, ...ap[k]!.map((v) => fmt(v))]), bestPerRow(ap)),
    );
  }
  if (compare) {
    const classes = [...new Set(compare.recipes.flatMap((r) => r.perClass.map((p) => p.class)))];
    const recipes = compare.recipes.map((r) => r.name);
    const cell = (s: CompareSummary | undefined): string => (s ? `${fmt(s.mean)} [${fmt(s.ci[0])}, ${fmt(s.ci[1])}]` : '–');
    html.push(
      '<h3>Over several seeds</h3>',
      `<p class="explain">Each recipe trained with ${escapeHtml(String(Math.max(...compare.recipes.map((r) => r.runs.length))))} seeds (from stad compare): the bar is the mean, the black line the ${Math.round(compare.bootstrap.level * 100)}% interval (half-samples of the test keyframes, seeds resampled). Overlapping lines mean the difference may be luck.</p>`,
      await chartFigure('compare', compareSpec(compare, classes)),
      htmlTable(
        ['class', ...recipes],
        [['all_mAP', ...compare.recipes.map((r) => cell(r.allMAP))], ...classes.map((c) => [c, ...compare.recipes.map((r) => cell(r.perClass.find((p) => p.class === c)))])],
      ),
    );
  }
  if (html.length === 0 || (tested.length === 0 && !compare)) html.push('<p class="note">Run <code>stad test --checkpoint &lt;run&gt;/best.safetensors</code> to add results.</p>');
  return {
    id: 'results',
    title: 'Results on the test videos',
    intro: 'How well each trained model finds people and names their actions in videos it never saw during training.',
    html: html.join('\n'),
  };
}
