// The live reader's parse of ffmpeg's stderr: the raw output stream's size and rate, from a whole line only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRawOutputStream } from '../../src/detect/ffmpeg-stream-info.js';

const HEAD = `Input #0, mpegts, from 'udp://127.0.0.1:5000':
  Stream #0:0[0x100]: Video: h264 (Constrained Baseline) ([27][0][0][0] / 0x001B), yuv420p(progressive), 768x576, 10 fps, 10 tbr, 90k tbn
Stream mapping:
  Stream #0:0 -> #0:0 (h264 (native) -> rawvideo (native))
Output #0, rawvideo, to 'pipe:1':
  Metadata:
    encoder         : Lavf59.27.100
`;
const LINE = '  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/unknown/unknown, progressive), 768x576, q=2-31, 106168 kb/s, 10 fps, 10 tbn\n';

test('the output stream line gives size and rate; a line cut short gives nothing yet', () => {
  assert.deepEqual(parseRawOutputStream(HEAD + LINE), { width: 768, height: 576, fps: 10 });
  assert.equal(parseRawOutputStream(HEAD), null);
  // Cut after the size: the rate has not arrived, so wait for the rest of the line.
  assert.equal(parseRawOutputStream(HEAD + LINE.slice(0, LINE.indexOf('q=2-31'))), null);
  // The input's line alone (before Output #0) is not the output's.
  assert.equal(parseRawOutputStream(HEAD.slice(0, HEAD.indexOf('Stream mapping'))), null);
});

test('rates: fractional, in thousands, tbr when there is no fps, 0 when neither', () => {
  const at = (rate: string) => parseRawOutputStream(HEAD + LINE.replace('10 fps, 10 tbn', rate))?.fps;
  assert.equal(at('29.97 fps, 29.97 tbn'), 29.97);
  assert.equal(at('1k fps, 1k tbn'), 1000);
  assert.equal(at('25 tbr, 90k tbn'), 25);
  assert.equal(at('90k tbn'), 0);
});
