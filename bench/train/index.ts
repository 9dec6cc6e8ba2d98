/**
 * `npm run bench -- train <dataset dir> [threads,workers ...]`: training clips per second of the
 * synth_tiny_bce preset for several (libtorch threads, loader workers) settings on the same 12 batches,
 * the settings interleaved over two rounds (the machines are shared: compare ratios within one run).
 * The first 2 batches of each run are warm-up and not timed.
 */
import * as torch from '../../src/torch/index.js';
import { loadRunConfig } from '../../src/train/config.js';
import { loadDataset } from '../../src/data/dataset.js';
import { samplesOfSplit } from '../../src/data/samples.js';
import { ClipLoader } from '../../src/data/loader.js';
import { clipsToTensor } from '../../src/data/collate.js';
import { assignTargets, buildDetector, lossInputs } from '../../src/models/index.js';
import { SGD } from '../../src/nn/index.js';

const [dir = 'data/synth', ...rest] = process.argv.slice(2);
const settings = (rest.length ? rest : ['2,1', '1,1', '2,0', '1,2']).map((s) => s.split(',').map(Number) as [number, number]);
const { config: c } = loadRunConfig('synth_tiny_bce');
const ds = await loadDataset(dir);
const samples = samplesOfSplit(ds, 'train').slice(0, 8 * 12);
const results = new Map<string, number[]>();
for (let round = 0; round < 2; round++) {
  for (const [threads, workers] of settings) {
    torch.setNumThreads(threads);
    torch.manualSeed(0);
    const det = buildDetector(c.model).train();
    const opt = new SGD(det.parameters(), { lr: 0.01, momentum: 0.9 });
    const loader = new ClipLoader(samples, { clip: { clipLen: c.model.input.frames, frameInterval: c.model.input.frameInterval }, batchSize: 8, mode: 'train', augmentation: c.data.augmentation, numWorkers: workers, seed: 0 });
    let n = 0;
    let t0 = 0;
    for await (const b of loader.epoch(round)) {
      if (n === 2) t0 = performance.now();
      torch.tidy(() => {
        const t = assignTargets(b.clips.map((k) => ({ gtBoxes: k.boxes, gtLabels: k.labels, proposals: [] })), { numClasses: 7, negatives: 'include', numSamples: 16 });
        const li = lossInputs(det.forward(clipsToTensor(b), t.rois), t);
        torch.binaryCrossEntropyWithLogits(li.logits, li.targets).backward();
      });
      opt.step();
      opt.zeroGrad();
      n++;
    }
    await loader.close();
    const key = `threads ${threads}, workers ${workers}`;
    results.set(key, [...(results.get(key) ?? []), ((n - 2) * 8) / ((performance.now() - t0) / 1000)]);
    opt.dispose();
    det.dispose();
  }
}
for (const [k, v] of results) console.log(`${k.padEnd(22)} ${v.map((x) => x.toFixed(2)).join('  ')} clips/s`);
console.log(JSON.stringify(Object.fromEntries(results)));
