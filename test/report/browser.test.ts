/**
 * The report in a real browser: headless Chromium (Debian's, installed by scripts/setup.mjs) driven by
 * playwright-core opens the generated file from file://, and every chart must have drawn marks, the
 * console must stay free of errors, and nothing may be fetched. Saves a screenshot (to
 * $STAD_REPORT_SCREENSHOT when set: that is how docs/report.png is made).
 */
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { buildReport } from '../../src/report/build.js';
import { compareJson, reportFixture, type ReportFixture } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
let fx: ReportFixture;

before(async () => {
  fx = await reportFixture();
});
after(() => fx?.cleanup());

test('the report renders in headless Chromium: every chart drawn, no console error, no request', async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: scripts/setup.mjs installs Debian's chromium`);
  const compare = join(fx.dir, 'compare.json');
  writeFileSync(compare, compareJson(fx.dataset.classes.slice(1)));
  const out = join(fx.dir, 'report.html');
  const summary = await buildReport({ runs: fx.runs, data: fx.data, out, examples: 3, compare });
  assert.deepEqual(summary.sections, ['dataset', 'training', 'results', 'examples']);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    const url = pathToFileURL(out).href;
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (r.url() !== url && !r.url().startsWith('data:')) requests.push(r.url());
    });
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('figure.chart svg');

    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => ({
        name: f.getAttribute('data-chart'),
        // vega's SVG puts every mark in a <g class="mark-... role-mark">; count drawn shapes inside them.
        marks: f.querySelectorAll('svg g.role-mark > path, svg g.role-mark > line, svg g.role-mark > rect, svg g.role-mark > text, svg g.role-mark > g').length,
        width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
      })),
    );
    assert.deepEqual(
      charts.map((c) => c.name),
      ['class-counts', 'cooccurrence', 'loss', 'lr', 'val-map', 'per-video', 'per-class', 'compare'],
    );
    for (const c of charts) {
      assert.ok(c.marks > 0, `chart ${c.name} has no marks`);
      assert.ok(c.width > 100, `chart ${c.name} is ${c.width} px wide`);
    }
    const images = await page.$$eval('.example img', (imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth));
    assert.ok(images.length > 0, 'no example images');
    for (const w of images) assert.ok(w > 0, 'an example image did not decode');
    assert.deepEqual(errors, [], 'console errors');
    assert.deepEqual(requests, [], 'network requests');

    const shot = process.env.STAD_REPORT_SCREENSHOT ?? join(fx.dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 10_000);
  } finally {
    await browser.close();
  }
});
