/**
 * The reference: the same NanoDet files run by TensorFlow.js (pure JavaScript CPU backend, a
 * devDependency only). Used by the agreement test (test/proposals/nanodet-tfjs.test.ts) and by
 * `npm run bench -- proposals`. Outputs come back as plain Float32Arrays keyed by the graph's output
 * names without `:0`, so that the caller compares them with stad's without a second tensor library.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NanoDetFiles } from '../../src/proposals/model-cache.js';

type Tf = typeof import('@tensorflow/tfjs');
type TfGraphModel = Awaited<ReturnType<Tf['loadGraphModel']>>;

export interface TfjsOutput {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export class TfjsNanoDet {
  private constructor(private readonly tf: Tf, private readonly model: TfGraphModel) {}

  static async load(files: NanoDetFiles): Promise<TfjsNanoDet> {
    // tfjs greets Node users on import, suggesting tfjs-node (which cannot be installed here): hush it.
    const warn = console.warn;
    const log = console.log;
    console.warn = () => {};
    console.log = () => {};
    let tf: Tf;
    try {
      tf = await import('@tensorflow/tfjs');
      await tf.setBackend('cpu');
      await tf.ready();
    } finally {
      console.warn = warn;
      console.log = log;
    }
    const json = JSON.parse(readFileSync(files.modelJson, 'utf8')) as {
      modelTopology: object;
      weightsManifest: { paths: string[]; weights: unknown[] }[];
      format?: string;
      generatedBy?: string;
      convertedBy?: string;
      signature?: object;
    };
    const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
    const bins = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(files.dir, p))));
    const all = Buffer.concat(bins);
    const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
    const model = await tf.loadGraphModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: weightSpecs as never,
        weightData,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
      } as never),
    );
    return new TfjsNanoDet(tf, model);
  }

  /** Runs the graph on an NCHW float input [1, 3, 416, 416]; returns every output by name. */
  run(input: Float32Array, shape: readonly number[]): Map<string, TfjsOutput> {
    const tf = this.tf;
    const x = tf.tensor(input, [...shape], 'float32');
    const names = this.model.outputs.map((o) => o.name);
    try {
      const outs = this.model.execute(x, names);
      const list = Array.isArray(outs) ? outs : [outs];
      const result = new Map<string, TfjsOutput>();
      list.forEach((t, i) => {
        result.set((names[i] as string).replace(/:0$/, ''), { shape: t.shape, data: t.dataSync() as Float32Array });
        t.dispose();
      });
      return result;
    } finally {
      x.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}
