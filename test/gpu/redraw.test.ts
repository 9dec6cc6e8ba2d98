import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { InPlaceView, terminalRows } from '../../src/cli/redraw.js';

/** A stand-in for a terminal: records what is written; `columns` x `rows`. */
function fakeTerminal(columns: number, rows: number): { stream: NodeJS.WriteStream; written: () => string } {
  let out = '';
  const w = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return { stream: Object.assign(w, { isTTY: true, columns, rows }) as unknown as NodeJS.WriteStream, written: () => out };
}

test('terminalRows counts wrapped lines, ignoring colour codes', () => {
  assert.equal(terminalRows('a\nb\n', 80), 2);
  assert.equal(terminalRows(`${'x'.repeat(80)}\n`, 80), 1);
  assert.equal(terminalRows(`${'x'.repeat(81)}\n\n`, 80), 3);
  assert.equal(terminalRows(`\x1b[31m${'x'.repeat(80)}\x1b[39m\n`, 80), 1);
});

test('InPlaceView: hides the cursor, redraws over the previous block (its wrapped rows too), shows the cursor at the end', async () => {
  const term = fakeTerminal(40, 24);
  const view = new InPlaceView(term.stream);
  view.draw('header\nline one\n');
  view.draw(`header\n${'y'.repeat(50)}\n`); // 50 columns on a 40-column terminal: two rows
  view.draw('header\nshort\n');
  view.close();
  await new Promise((r) => setImmediate(r));
  const out = term.written();
  assert.ok(out.startsWith('\x1b[?25l'));
  assert.ok(out.endsWith('\x1b[?25h'));
  // back up the 2 rows of the first block, then the 3 rows of the second; clear below before each block
  const ups = [...out.matchAll(/\x1b\[(\d+)A/g)].map((m) => Number(m[1]));
  assert.deepEqual(ups, [2, 3]);
  assert.equal(out.split('\x1b[0J').length - 1, 3);
  assert.match(out, /\x1b\[0Jheader\nshort\n\x1b\[\?25h$/);
});

test('InPlaceView: a block taller than the terminal is redrawn from the top of the screen', async () => {
  const term = fakeTerminal(80, 3);
  const view = new InPlaceView(term.stream);
  view.draw('a\nb\nc\nd\n');
  view.draw('a\nb\nc\nd\n');
  view.close();
  await new Promise((r) => setImmediate(r));
  assert.doesNotMatch(term.written(), /\x1b\[\d+A/);
  assert.match(term.written(), /\x1b\[1;1H\x1b\[0Ja\n/);
});
