/**
 * HTML building blocks of the report: escaping, tables, chart figures, and the page. Charts are
 * rendered at build time by vega's View into inline SVG (charts.ts `vegaLiteToSvg`): the page needs
 * no JavaScript and no network to show them, and stays small (no 1 MB of vega inlined).
 */
import type { TopLevelSpec } from 'vega-lite';
import { vegaLiteToSvg } from './charts.js';
import { PAGE_CSS, runColour } from './theme.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number for a table: fixed decimals, an en dash for a missing value. */
export function fmt(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);
}

/** Cells that are figures (right-aligned so that digits line up): numbers, ratios, intervals, dashes. */
const NUMERIC = /^[-–\d.\s:[\],]+$/;

/** A table of already-formatted cells (escaped here). `bold` marks cells by [row, column]. */
export function htmlTable(head: readonly string[], rows: readonly (readonly string[])[], bold: (r: number, c: number) => boolean = () => false): string {
  // A column of figures is right-aligned, header included, so that digits line up.
  const numeric = head.map((_, c) => rows.length > 0 && rows.every((row) => NUMERIC.test(row[c] ?? '')));
  const th = head.map((h, c) => `<th${numeric[c] ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const cls = (r: number, c: number): string => {
    const names = [...(numeric[c] ? ['num'] : []), ...(bold(r, c) ? ['best'] : [])];
    return names.length ? ` class="${names.join(' ')}"` : '';
  };
  const body = rows.map((row, r) => `<tr>${row.map((cell, c) => `<td${cls(r, c)}>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * Marks the largest number of each row (columns 1..) in bold: the best run per line of a results table.
 * Returns the `bold` predicate of `htmlTable`.
 */
export function bestPerRow(values: readonly (readonly (number | null)[])[]): (r: number, c: number) => boolean {
  return (r, c) => {
    const row = values[r] ?? [];
    const present = row.filter((v): v is number => v !== null);
    if (c === 0 || present.length < 2) return false;
    const v = row[c - 1];
    return v !== null && v !== undefined && v === Math.max(...present);
  };
}

let chartCount = 0;

/** A chart as an inline SVG figure. Its ids are made unique in the page (several SVGs share one DOM). */
export async function chartFigure(name: string, spec: TopLevelSpec): Promise<string> {
  const n = ++chartCount;
  const svg = (await vegaLiteToSvg(spec)).replace(/(id="|url\(#)(clip|gradient_)/g, `$1c${n}-$2`);
  return `<figure class="chart" data-chart="${escapeHtml(name)}">${svg}</figure>`;
}

export interface Section {
  id: string;
  title: string;
  /** One sentence a non-expert understands: what this section shows and why it matters. */
  intro: string;
  /** Body HTML (already escaped). */
  html: string;
}

export interface PageOptions {
  title: string;
  subtitle: string;
  runs: readonly string[];
  sections: readonly Section[];
  footer: string;
}

/** Marks a page as stad's report: `stad report -o` replaces an existing file only when it carries this. */
export const REPORT_GENERATOR = 'stad report';

export function renderPage(o: PageOptions): string {
  const chips = o.runs.map((r, i) => `<span class="run-chip"><span class="swatch" style="background:${runColour(i)}"></span>${escapeHtml(r)}${i === 0 && o.runs.length > 1 ? ' (baseline)' : ''}</span>`).join('');
  const nav = o.sections.map((s) => `<a href="#${s.id}">${escapeHtml(s.title)}</a>`).join('');
  const body = o.sections.map((s) => `<section id="${s.id}">\n<h2>${escapeHtml(s.title)}</h2>\n<p class="intro">${escapeHtml(s.intro)}</p>\n${s.html}\n</section>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${REPORT_GENERATOR}">
<title>${escapeHtml(o.title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(o.title)}</h1><p>${escapeHtml(o.subtitle)}</p><div class="runs">${chips}</div></header>
<nav>${nav}</nav>
<main>
${body}
</main>
<footer>${escapeHtml(o.footer)}</footer>
</body>
</html>
`;
}
