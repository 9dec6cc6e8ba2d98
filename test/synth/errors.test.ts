import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateSynthDataset } from '../../src/data/synth/generate.js';
import { isUserError } from '../../src/util/errors.js';
import { tempDir } from '../helpers.js';

const tmp = tempDir('stad-synth-err-');
after(() => tmp.cleanup());

for (const jobs of [1, 2]) {
  test(`without ffmpeg, a video run fails with one clear UserError and leaves nothing behind (jobs ${jobs})`, async () => {
    const out = join(tmp.dir, `novideo${jobs}`);
    const path = process.env.PATH;
    process.env.PATH = join(tmp.dir, 'empty-bin');
    try {
      await assert.rejects(generateSynthDataset({ out, scale: 0.01, width: 64, height: 48, fps: 5, jobs }), (e: unknown) => {
        assert.ok(isUserError(e), String(e));
        assert.match((e as Error).message, /ffmpeg: not found on PATH \(install ffmpeg, or pass --no-video\)/);
        return true;
      });
    } finally {
      process.env.PATH = path;
    }
    assert.ok(!existsSync(out));
    assert.ok(!existsSync(`${out}.partial`));
  });
}
