// The output-location checks that commands make before their work (src/util/output-checks.ts), and
// `stad proposals`, `stad report` and `stad demo` refusing a bad -o/--out at once: one line, exit
// code 2, the user's files untouched, nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { checkOutputDir, checkOutputFile } from '../../src/util/output-checks.js';
import { isStadReport } from '../../src/report/own-report.js';
import { isUserError } from '../../src/util/errors.js';
import { runCli, tempDir } from '../helpers.js';

const onLinuxProc = existsSync('/proc/self');

function refuses(fn: () => void, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => isUserError(e) && !e.message.includes('\n') && pattern.test(e.message));
}

function assertOneLine(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, r.stderr);
  assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('stad: ')).length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

test('checkOutputDir: a file in the way, files of the user\'s, a folder that must be the command\'s alone', () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'file.txt');
    writeFileSync(file, 'mine');
    refuses(() => checkOutputDir(file, { flag: '--out' }), /file\.txt: --out names an existing file; expected a folder/);
    refuses(() => checkOutputDir(join(file, 'sub'), { flag: '--out' }), /file\.txt: cannot write the output here: it is a file/);

    const out = join(t.dir, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'v_proposal.json'), 'theirs');
    writeFileSync(join(out, 'notes.txt'), 'theirs');
    // Other files beside the output are fine; an output file that exists is replaced only when allowed.
    checkOutputDir(out, { flag: '-o', files: ['w_proposal.json'] });
    refuses(() => checkOutputDir(out, { flag: '-o', files: ['v_proposal.json'] }), /v_proposal\.json: exists; pass --force to replace it, or choose another -o/);
    checkOutputDir(out, { flag: '-o', files: ['v_proposal.json'], replace: true });
    checkOutputDir(out, { flag: '-o', files: ['v_proposal.json'], replace: (p) => p.endsWith('v_proposal.json') });
    mkdirSync(join(out, 'x.csv'));
    refuses(() => checkOutputDir(out, { flag: '-o', files: ['x.csv'], replace: true }), /x\.csv: cannot write: it is a folder/);
    // A folder that must be the command's alone.
    refuses(() => checkOutputDir(out, { flag: '--out', ownEntry: (n) => n === 'x.csv' }), /--out names a folder with files stad did not write there \(notes\.txt, v_proposal\.json\)/);
    checkOutputDir(out, { flag: '--out', ownEntry: () => true });
    // A new folder below a new folder: fine, and nothing is made by the check.
    checkOutputDir(join(t.dir, 'a', 'b'), { flag: '--out' });
    assert.equal(existsSync(join(t.dir, 'a')), false);
    assert.deepEqual(readdirSync(t.dir).sort(), ['file.txt', 'out']);
    if (onLinuxProc) refuses(() => checkOutputDir('/proc/stad-out/x', { flag: '--out' }), /^\/proc\/stad-out\/x: cannot write: .*\([A-Z]+\)$/);
  } finally {
    t.cleanup();
  }
});

test('checkOutputFile: a folder, a file that is not the command\'s own, an unwritable place', () => {
  const t = tempDir();
  try {
    const isOwn = (p: string): boolean => readFileSync(p, 'utf8') === 'own';
    const o = { flag: '-o', isOwn, what: 'an HTML report' };
    refuses(() => checkOutputFile(t.dir, o), /-o names a folder; expected the name of an HTML report to write/);
    const theirs = join(t.dir, 'notes.html');
    writeFileSync(theirs, 'theirs');
    refuses(() => checkOutputFile(theirs, o), /notes\.html: exists and is not an HTML report written by stad; remove it or choose another -o/);
    const own = join(t.dir, 'own.html');
    writeFileSync(own, 'own');
    checkOutputFile(own, o);
    checkOutputFile(join(t.dir, 'new', 'r.html'), o);
    refuses(() => checkOutputFile(join(theirs, 'r.html'), o), /notes\.html: cannot write the output here: it is a file/);
    if (onLinuxProc) refuses(() => checkOutputFile('/proc/stad-out/r.html', o), /cannot write: .*\([A-Z]+\)$/);
  } finally {
    t.cleanup();
  }
});

test('isStadReport knows the pages stad report writes, and nothing else', async () => {
  const { renderPage } = await import('../../src/report/html.js');
  const t = tempDir();
  try {
    const page = join(t.dir, 'r.html');
    writeFileSync(page, renderPage({ title: 't', subtitle: 's', runs: ['a'], sections: [], footer: 'f' }));
    assert.equal(isStadReport(page), true);
    writeFileSync(page, '<!DOCTYPE html><html><head><title>mine</title></head></html>');
    assert.equal(isStadReport(page), false);
    assert.equal(isStadReport(join(t.dir, 'missing.html')), false);
  } finally {
    t.cleanup();
  }
});

/** Two 32x24 JPEG frames `<dir>/clip/clip_0000{1,2}.jpg`. */
async function frames(dir: string): Promise<string> {
  const folder = join(dir, 'clip');
  mkdirSync(folder);
  for (const i of [1, 2]) {
    await sharp(Buffer.alloc(32 * 24 * 3, 90 * i), { raw: { width: 32, height: 24, channels: 3 } })
      .jpeg()
      .toFile(join(folder, `clip_0000${i}.jpg`));
  }
  return folder;
}

test('stad proposals -o: a file, an unwritable place, a proposals file of the user\'s: one line before the detector loads', async () => {
  const t = tempDir();
  try {
    const input = await frames(t.dir);
    // An empty cache folder: had the detector been loaded, it would have tried to download it.
    const env = { STAD_CACHE_DIR: join(t.dir, 'cache'), npm_config_registry: 'http://127.0.0.1:9/' };
    const file = join(t.dir, 'out.txt');
    writeFileSync(file, 'mine');
    assertOneLine(runCli(['proposals', input, '-o', file], { env }), /out\.txt: -o\/--out names an existing file; expected a folder/);
    assert.equal(readFileSync(file, 'utf8'), 'mine');
    if (onLinuxProc) assertOneLine(runCli(['proposals', input, '-o', '/proc/stad-out'], { env }), /\/proc\/stad-out: cannot write: /);

    const out = join(t.dir, 'annotations');
    mkdirSync(out);
    writeFileSync(join(out, 'clip_proposal.json'), '{"the reference detector": "mine"}');
    writeFileSync(join(out, 'clip.json'), 'annotations');
    assertOneLine(runCli(['proposals', input, '-o', out], { env }), /clip_proposal\.json: exists; pass --force to replace it, or choose another -o\/--out/);
    // The CSV alone is not in the way.
    assertOneLine(runCli(['proposals', input, '-o', out, '--format', 'ava', '--video', 'clip'], { env }), /cannot download the person detector/);
    assert.deepEqual(readdirSync(out).sort(), ['clip.json', 'clip_proposal.json']);
    assert.equal(readFileSync(join(out, 'clip_proposal.json'), 'utf8'), '{"the reference detector": "mine"}');
    assert.equal(existsSync(join(t.dir, 'cache', 'models', 'human-models-3.0.4')), false);
  } finally {
    t.cleanup();
  }
});

test('stad report -o: a folder, a file that is not a stad report, an unwritable place: one line, the file untouched', () => {
  const t = tempDir();
  try {
    const runs = join(t.dir, 'no-such-run');
    assertOneLine(runCli(['report', runs, '-o', t.dir]), /-o\/--out names a folder; expected the name of an HTML report to write/);
    const notes = join(t.dir, 'notes.html');
    writeFileSync(notes, '<html>my notes</html>');
    assertOneLine(runCli(['report', runs, '-o', notes]), /notes\.html: exists and is not an HTML report written by stad/);
    assert.equal(readFileSync(notes, 'utf8'), '<html>my notes</html>');
    if (onLinuxProc) assertOneLine(runCli(['report', runs, '-o', '/proc/stad-out/r.html']), /cannot write: /);
    // A report of stad's own may be replaced: the command goes on to the runs (and stops there).
    writeFileSync(notes, '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="generator" content="stad report">\n</head></html>');
    const r = runCli(['report', runs, '-o', notes]);
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /notes\.html/);
  } finally {
    t.cleanup();
  }
});

test('stad demo --out: a file, a folder of the user\'s, an unwritable place: one line before any work', () => {
  const t = tempDir();
  try {
    const env = { STAD_DEMO_SIZE: 'tiny' };
    const file = join(t.dir, 'demo.txt');
    writeFileSync(file, 'mine');
    assertOneLine(runCli(['demo', '--out', file], { env, cwd: t.dir }), /demo\.txt: --out names an existing file/);
    const mine = join(t.dir, 'mine');
    mkdirSync(join(mine, 'recipes'), { recursive: true });
    writeFileSync(join(mine, 'thesis.tex'), 'mine');
    assertOneLine(runCli(['demo', '--out', mine], { env, cwd: t.dir }), /mine: --out names a folder with files stad did not write there \(thesis\.tex\)/);
    assert.deepEqual(readdirSync(mine).sort(), ['recipes', 'thesis.tex']);
    if (onLinuxProc) assertOneLine(runCli(['demo', '--out', '/proc/stad-demo'], { env, cwd: t.dir }), /\/proc\/stad-demo: cannot write: /);
    // No dataset was generated in the meantime.
    assert.deepEqual(readdirSync(t.dir).sort(), ['demo.txt', 'mine']);
    // A folder of an earlier demo (its own entries only) passes: the demo goes on, here to an empty
    // --data folder, where it stops for another reason.
    const earlier = join(t.dir, 'earlier');
    for (const d of ['recipes', 'compare', 'stale']) mkdirSync(join(earlier, d), { recursive: true });
    writeFileSync(join(earlier, 'report.html'), 'old report');
    writeFileSync(join(earlier, '.report.html.123.1700000000000.tmp'), 'torn');
    mkdirSync(join(t.dir, 'empty-data'));
    const r = runCli(['demo', '--out', earlier, '--data', join(t.dir, 'empty-data')], { env, cwd: t.dir });
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /--out/);
    assert.match(r.stderr, /empty-data/);
  } finally {
    t.cleanup();
  }
});
