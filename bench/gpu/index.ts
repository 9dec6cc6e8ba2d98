/**
 * Training throughput of stad's SlowFast R50 8x8x1 detector, the step bench/reference/train_step.py
 * times in PyTorch (same model, same step: forward, binary cross-entropy on the RoI logits without the
 * background column, backward, SGD lr 0.1 momentum 0.9 weight decay 1e-5), on one device in one
 * precision. bench/gpu.sh runs it beside the reference on a GPU in float32 and bf16.
 *
 *   npm run bench -- gpu [--device cuda] [--amp none|bf16] [--batch 16] [--frames 32] [--size 224]
 *       [--boxes 2] [--classes 7] [--warmup 3] [--steps 10] [--preset slowfast_r50_8x8x1] [--cudnn-benchmark]
 *
 * The batch stays on the device (as the reference's does), so this measures the model step, not the
 * loader. Prints one JSON line: {"clips_per_s", "step_s": [...], ...}.
 */
import { parseArgs } from 'node:util';
import * as torch from '../../src/torch/index.js';
import { SGD } from '../../src/nn/index.js';
import { buildDetector, modelPreset } from '../../src/models/index.js';
import { forwardIn } from '../../src/train/precision.js';
import { deviceUnavailableReason } from '../../src/torch/device.js';

const { values: a } = parseArgs({
  options: {
    device: { type: 'string', default: 'cuda' },
    amp: { type: 'string', default: 'none' },
    batch: { type: 'string', default: '16' },
    frames: { type: 'string', default: '32' },
    size: { type: 'string', default: '224' },
    boxes: { type: 'string', default: '2' },
    classes: { type: 'string', default: '7' },
    warmup: { type: 'string', default: '3' },
    steps: { type: 'string', default: '10' },
    preset: { type: 'string', default: 'slowfast_r50_8x8x1' },
    'cudnn-benchmark': { type: 'boolean', default: false },
  },
});
const device = a.device as torch.Device;
const why = deviceUnavailableReason(device);
if (why) {
  console.error(`--device ${why}`);
  process.exit(2);
}
if (a.amp !== 'none' && a.amp !== 'bf16') {
  console.error(`--amp: expected none or bf16, got ${a.amp}`);
  process.exit(2);
}
const amp = a.amp;
const [batch, frames, size, boxes, classes, warmup, steps] = [a.batch, a.frames, a.size, a.boxes, a.classes, a.warmup, a.steps].map(Number) as [
  number, number, number, number, number, number, number,
];
torch.backends.cudnn.setBenchmark(a['cudnn-benchmark']!);

const base = modelPreset(a.preset!);
torch.manualSeed(0);
const det = buildDetector({ ...base, head: { ...base.head, numClasses: classes }, input: { ...base.input, frames, size } }).train();
if (device !== 'cpu') det.to(device);
const opt = new SGD(det.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-5 });

// the batch, boxes and targets: drawn once, on the device
const [clips, rois, targets] = torch.tidy(() => {
  const r: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let k = 0; k < boxes; k++) {
      const x1 = ((b * 7 + k * 13) % 10) / 20 * size;
      const y1 = ((b * 3 + k * 11) % 10) / 20 * size;
      const w = (0.1 + ((b + k) % 5) / 12) * size;
      const h = (0.1 + ((b * 2 + k) % 5) / 12) * size;
      r.push(b, x1, y1, x1 + w, y1 + h);
    }
  }
  return torch.keep([
    torch.randn([batch, 3, frames, size, size], { device }), // [N, 3, T, H, W]
    torch.tensor(Float32Array.from(r), { shape: [batch * boxes, 5], device }), // [K, 5]
    torch.rand([batch * boxes, classes - 1], { device }).lt(0.2).float(), // [K, C - 1]
  ] as const);
});

const sync = (): void => {
  if (device !== 'cpu') torch.cuda.synchronize(device);
};

function step(): number {
  opt.zeroGrad();
  const loss = torch.tidy(() => {
    const logits = forwardIn(amp, device, () => det.forward(clips, rois)); // [K, C] float32
    const l = torch.binaryCrossEntropyWithLogits(logits.narrow(1, 1, classes - 1), targets);
    l.backward();
    return l.item(); // the reference reads its loss every step too (float(loss))
  });
  opt.step();
  return loss;
}

const stepS: number[] = [];
let lastLoss = Number.NaN;
try {
  for (let i = 0; i < warmup + steps; i++) {
    sync();
    const t0 = performance.now();
    lastLoss = step();
    sync();
    const dt = (performance.now() - t0) / 1000;
    if (i >= warmup) stepS.push(dt);
    process.stderr.write(`step ${i + 1}/${warmup + steps}${i < warmup ? ' (warm-up)' : ''}: ${dt.toFixed(3)} s, loss ${lastLoss.toFixed(4)}\n`);
  }
} finally {
  opt.zeroGrad();
  opt.dispose();
  det.dispose();
  torch.dispose([clips, rois, targets]);
}
const mean = stepS.reduce((x, y) => x + y, 0) / stepS.length;
const mem = device === 'cpu' ? null : torch.cuda.memoryStats(device);
console.log(
  JSON.stringify({
    side: 'stad',
    clips_per_s: batch / mean,
    step_s: stepS,
    mean_step_s: mean,
    device,
    amp,
    preset: a.preset,
    batch,
    frames,
    size,
    boxes_per_clip: boxes,
    classes,
    loss: lastLoss,
    peak_allocated_gib: mem ? mem.peakAllocated / 1024 ** 3 : null,
    torch: torch.buildInfo().torchVersion,
  }),
);
