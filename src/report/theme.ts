/**
 * The report's look: one colour per run, the same in every chart and every example image (a reader
 * follows a run by its colour), the chart font, and the page's stylesheet.
 */

/** Tableau 10: distinct, colour-blind-friendlier than the defaults, and readable on white. */
export const RUN_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac'] as const;

/** Ground-truth boxes in the example images. */
export const GT_COLOUR = '#ffffff';

export const CHART_FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** The colour of the i-th run (cycling past ten runs). */
export function runColour(i: number): string {
  return RUN_COLOURS[i % RUN_COLOURS.length]!;
}

/** A vega-lite colour encoding that pins each run to its colour, whatever subset a chart shows. */
export function runColourEncoding(runs: readonly string[], title = 'run'): Record<string, unknown> {
  return { field: 'run', type: 'nominal', title, sort: [...runs], scale: { domain: [...runs], range: runs.map((_, i) => runColour(i)) } };
}

/** Shared vega-lite config: font, no frame around the plot. */
export const CHART_CONFIG = { font: CHART_FONT, view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 11 }, legend: { labelFontSize: 11, titleFontSize: 11 } };

export const PAGE_CSS = `
:root { --ink: #1f2933; --muted: #52606d; --line: #e4e7eb; --bg: #f7f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 ${CHART_FONT}; color: var(--ink); background: var(--bg); }
header { background: #1f2933; color: #fff; padding: 28px 40px 22px; }
header h1 { margin: 0 0 6px; font-size: 26px; font-weight: 600; }
header p { margin: 0; color: #cbd2d9; }
.runs { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 14px; }
.run-chip { display: inline-flex; align-items: center; gap: 6px; background: rgba(255,255,255,.08); border-radius: 14px; padding: 3px 12px 3px 8px; font-size: 13px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px; }
nav { padding: 10px 40px; background: #fff; border-bottom: 1px solid var(--line); font-size: 14px; }
nav a { color: var(--muted); margin-right: 18px; text-decoration: none; }
nav a:hover { color: var(--ink); }
main { max-width: 1180px; margin: 0 auto; padding: 10px 40px 60px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 20px 26px; margin: 22px 0; }
section h2 { margin: 0 0 4px; font-size: 20px; }
section > p.intro { margin: 0 0 14px; color: var(--muted); max-width: 820px; }
h3 { font-size: 16px; margin: 22px 0 4px; }
p.explain { margin: 0 0 8px; color: var(--muted); font-size: 14px; max-width: 820px; }
figure.chart { margin: 8px 0; overflow-x: auto; }
.row { display: flex; flex-wrap: wrap; gap: 8px 28px; }
figure.chart svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 12px; text-align: left; font-variant-numeric: tabular-nums; }
th.num, td.num { text-align: right; }
thead th { color: var(--muted); font-weight: 600; }
td.best { font-weight: 700; }
.note { color: var(--muted); font-style: italic; font-size: 14px; }
.examples { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 16px; }
.example { margin: 0; border: 1px solid var(--line); border-radius: 6px; overflow: hidden; background: #fafbfc; }
.example img { display: block; width: 100%; height: auto; }
.example figcaption { padding: 8px 10px; font-size: 13px; }
.ok { color: #2f7d32; font-weight: 600; }
.wrong { color: #c62828; font-weight: 600; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 0 0 30px; }
`;
