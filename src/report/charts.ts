/**
 * Charts as files: a vega-lite spec is compiled to vega, rendered headless to SVG by vega's View
 * (renderer 'none', no canvas needed), and the SVG rasterised to PNG by sharp (librsvg, system fonts).
 * Specs are plain data so the HTML report can embed the same ones.
 */
import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';

export interface RenderedChart {
  svg: string;
  png: Buffer;
}

/** Renders a vega-lite spec to an SVG document (no browser, no canvas: vega measures text itself). */
export async function vegaLiteToSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders a vega-lite spec to SVG and PNG. `scale` multiplies the PNG's pixel size (default 2). */
export async function renderVegaLite(spec: TopLevelSpec, opts: { scale?: number } = {}): Promise<RenderedChart> {
  const svg = await vegaLiteToSvg(spec);
  const { default: sharp } = await import('sharp');
  const png = await sharp(Buffer.from(svg), { density: 72 * (opts.scale ?? 2) }).png().toBuffer();
  return { svg, png };
}

/**
 * A grouped bar chart of box counts: one group per class, one bar per split side by side, labelled with
 * the count. `counts[split][i]` is the count of `classes[i]`.
 */
export function classCountsSpec(classes: readonly string[], counts: Readonly<Record<string, readonly number[]>>, title = 'Labelled boxes per class'): TopLevelSpec {
  const splits = Object.keys(counts);
  const values = classes.flatMap((c, i) => splits.map((s) => ({ class: c, split: s, boxes: counts[s]![i] ?? 0 })));
  const x = { field: 'class', type: 'nominal' as const, sort: [...classes], title: null, axis: { labelAngle: 0 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: Math.max(240, 90 * classes.length),
    height: 240,
    data: { values },
    encoding: {
      x,
      xOffset: { field: 'split', type: 'nominal', sort: splits },
      y: { field: 'boxes', type: 'quantitative', title: 'boxes', axis: { tickMinStep: 1, format: 'd' } },
      color: { field: 'split', type: 'nominal', sort: splits, title: 'split', scale: { scheme: 'tableau10' } },
    },
    layer: [
      { mark: { type: 'bar', tooltip: true } },
      { mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 10 }, encoding: { text: { field: 'boxes', type: 'quantitative' }, color: { value: '#333' } } },
    ],
    config: { font: 'DejaVu Sans, Helvetica, Arial, sans-serif', view: { stroke: null } },
  };
}
