/**
 * The files of `stad detect` on a live stream, written as predictions are made so that memory stays
 * bounded however long the stream runs (nothing keeps every prediction):
 *
 *   detections.jsonl  one prediction per line, written (one write call) as it is made
 *   detections.csv    its AVA rows, appended to a temporary file renamed into place at the end
 *   detections.json   at the end, streamed from detections.jsonl (the run's facts first)
 *
 * A run that fails before its first prediction leaves nothing: the temporary file, the JSON lines file
 * and the output folder, when this run created it, are removed.
 */
import { createReadStream, closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cannotWrite, syncDir } from '../util/fs.js';
import { formatAvaDetections } from '../data/ava.js';
import { CSV_FILE, JSON_FILE, JSONL_FILE, detectionRows, predictionJson, type Prediction, type RunInfo } from './outputs.js';

export class LiveOutputs {
  private readonly createdDir: boolean;
  private readonly jsonl: number;
  private readonly csvTmp: string;
  private readonly csv: number;
  private closed = false;
  count = 0;

  constructor(
    readonly outDir: string,
    private readonly videoId: string,
    private readonly classes: readonly string[],
    private readonly scoreThreshold: number,
  ) {
    this.createdDir = !existsSync(outDir);
    this.csvTmp = join(outDir, `.${CSV_FILE}.${process.pid}.tmp`);
    try {
      mkdirSync(outDir, { recursive: true });
      this.jsonl = openSync(join(outDir, JSONL_FILE), 'w');
    } catch (e) {
      cannotWrite(join(outDir, JSONL_FILE), e);
    }
    try {
      this.csv = openSync(this.csvTmp, 'w');
    } catch (e) {
      closeSync(this.jsonl);
      cannotWrite(this.csvTmp, e);
    }
  }

  add(p: Prediction): void {
    try {
      writeSync(this.jsonl, `${JSON.stringify({ video: this.videoId, ...predictionJson(p, this.classes, this.scoreThreshold) })}\n`);
    } catch (e) {
      cannotWrite(join(this.outDir, JSONL_FILE), e);
    }
    try {
      writeSync(this.csv, formatAvaDetections(detectionRows(this.videoId, [p])));
    } catch (e) {
      cannotWrite(this.csvTmp, e);
    }
    this.count++;
  }

  /** Moves detections.csv into place and writes detections.json; returns the files written. */
  async finish(info: RunInfo): Promise<string[]> {
    this.close();
    const csv = join(this.outDir, CSV_FILE);
    try {
      renameSync(this.csvTmp, csv);
    } catch (e) {
      cannotWrite(csv, e);
    }
    await this.writeJson(info);
    syncDir(this.outDir);
    return [JSONL_FILE, CSV_FILE, JSON_FILE];
  }

  /** After an error: the temporary CSV goes; with no prediction made, everything this run created goes. */
  abort(): void {
    this.close();
    rmSync(this.csvTmp, { force: true });
    if (this.count > 0) return;
    rmSync(join(this.outDir, JSONL_FILE), { force: true });
    if (this.createdDir) {
      try {
        rmdirSync(this.outDir); // only when empty: never what someone else put there meanwhile
      } catch {
        // not empty: leave it
      }
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      fsyncSync(this.csv);
    } finally {
      closeSync(this.csv);
      closeSync(this.jsonl);
    }
  }

  /** detections.json as `detectionsJson` formats it, one prediction at a time from the JSON lines. */
  private async writeJson(info: RunInfo): Promise<void> {
    const path = join(this.outDir, JSON_FILE);
    const tmp = join(this.outDir, `.${JSON_FILE}.${process.pid}.tmp`);
    const head = JSON.stringify({ ...info, predictions: [] }, null, 1);
    const tail = '[]\n}';
    let fd: number | null = null;
    try {
      fd = openSync(tmp, 'w');
      writeSync(fd, head.slice(0, head.length - tail.length));
      let n = 0;
      const lines = createInterface({ input: createReadStream(join(this.outDir, JSONL_FILE)), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line.length === 0) continue;
        const { video: _video, ...p } = JSON.parse(line) as { video: string };
        const item = JSON.stringify(p, null, 1).replace(/^/gm, '  ');
        writeSync(fd, `${n++ === 0 ? '[\n' : ',\n'}${item}`);
      }
      writeSync(fd, n === 0 ? `${tail}\n` : '\n ]\n}\n');
      fsyncSync(fd);
      closeSync(fd);
      fd = null;
      renameSync(tmp, path);
    } catch (e) {
      if (fd !== null) closeSync(fd);
      rmSync(tmp, { force: true });
      cannotWrite(path, e);
    }
  }
}
