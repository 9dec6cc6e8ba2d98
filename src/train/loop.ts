/**
 * The training loop: ClipLoader batches -> clipsToTensor -> assignTargets -> forward -> lossInputs ->
 * lossLogits (the reference's BatchNorm on the logits, when the detector has it) -> loss -> backward ->
 * gradient clipping -> an optimiser step every `accumulate` batches, with the learning rate set per
 * iteration from the schedule. Validation every `valInterval` epochs, a checkpoint after every epoch
 * (latest.safetensors) and the best by all_mAP (best.safetensors).
 *
 * Determinism. Every random draw is keyed by (seed, epoch, batch), never by how many draws came before:
 * the loader's order and augmentation (its own keyed generator), the RoI sampling of the assigner (an
 * Rng per step), and what libtorch draws (weight init, dropout), for which libtorch's generator is
 * re-seeded with manualSeed(hash(seed, epoch, batch)) before each step. So a run resumed from the
 * checkpoint of epoch e draws exactly the numbers the uninterrupted run drew, without saving libtorch's
 * generator state (which the binding does not expose, and which differs between CPU and CUDA), and the
 * results do not depend on the loader's worker count.
 */
import { readSafetensors } from '../serialization/safetensors.js';
import { clipGradNorm_, StateDictError, type Optimizer } from '../nn/index.js';
import * as torch from '../torch/index.js';
import { Rng, hashKeys } from '../data/rng.js';
import { ClipLoader, type LoadedClip } from '../data/loader.js';
import { clipsToTensor } from '../data/collate.js';
import { samplesOfSplit } from '../data/samples.js';
import { computeStats } from '../data/stats.js';
import type { Dataset } from '../data/dataset.js';
import type { DetectionBox } from '../eval/index.js';
import { assignTargets, buildDetector, lossInputs, type ActionDetector, type ClipBoxes, type Targets } from '../models/index.js';
import { buildLoss } from '../losses/index.js';
import { UserError } from '../util/errors.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { effectiveLR, type RunConfig } from './config.js';
import { buildOptimizer } from './optimizer.js';
import { scheduledLR } from './schedule.js';
import { BEST_FILE, INITIAL_STATE, LATEST_FILE, loadRunCheckpoint, saveRunCheckpoint, type TrainState } from './checkpoint.js';
import { RateMeter, estimateRemaining, isValEpoch, valPassesFrom, type TrainEvent } from './progress.js';
import type { Validator } from './validation.js';
import { recoverRunFolder } from './run-recovery.js';
import { NonFiniteGuard, gradNorm, isPoisoned } from './non-finite.js';
import { crashPoint, testStepDelay, withWritePoint } from '../util/crash-points.js';
import { applyBackendOptions, forwardIn } from './precision.js';
import type { DataParallel } from '../distributed/data-parallel.js';
import { agreeOnStep, lossRows } from '../distributed/step-agreement.js';
import { assignerOptions } from './assigner-options.js';

export interface TrainOptions {
  config: RunConfig;
  dataset: Dataset;
  /** Run folder (must exist): checkpoints go here. */
  outDir: string;
  /** Continue from outDir/latest.safetensors. */
  resume?: boolean;
  /** A Kinetics-400 (recognizer) checkpoint in safetensors: its backbone.* initialises the backbone. */
  loadFrom?: string;
  /** Validation (null: none; then no best.safetensors). */
  validator?: Validator | null;
  onEvent?: (e: TrainEvent) => void;
  device?: torch.Device;
  /**
   * Called once everything is loaded and checked, before the first step: where the caller creates the
   * run folder, so that a failure before it leaves nothing behind.
   */
  onReady?: (state: TrainState) => void;
  /** Stop after this many finished epochs (of `config.epochs`), as if interrupted; the schedule still spans config.epochs. */
  stopAfterEpochs?: number;
  /**
   * Polled after each optimiser step and during validation (signals.ts: SIGINT/SIGTERM): when it says
   * true, the loop saves a resumable latest.safetensors where it stands and returns with `stopped`.
   */
  shouldStop?: () => boolean;
  /**
   * Data-parallel training (src/distributed): this worker's rank in a joined process group. Each rank
   * trains on its shard of every global batch (batchSize clips per rank), gradients are averaged, the
   * ranks decide together to skip a step or to stop, and only rank 0 writes checkpoints. Absent: one process.
   */
  parallel?: DataParallel | null;
}

export interface TrainResult {
  detector: ActionDetector;
  state: TrainState;
  /** Mean training loss of each epoch run in this call. */
  epochLosses: number[];
  /** Loss of every step run in this call (NaN for a step without boxes). */
  stepLosses: number[];
  /** True when shouldStop ended the run early (latest.safetensors holds where it stood). */
  stopped: boolean;
}

/** The libtorch seed of one step (and of init: epoch -1). */
export function stepSeed(seed: number, epoch: number, batch: number): number {
  // manualSeed takes a non-negative integer; 31 bits keep it a small integer on every platform
  return hashKeys([seed, 'torch', epoch, batch]) & 0x7fffffff;
}

function toClipBoxes(c: LoadedClip, minScore: number): ClipBoxes {
  return { gtBoxes: c.boxes, gtLabels: c.labels, proposals: c.proposals.filter((p) => p.score >= minScore).map((p) => p.box) };
}

/**
 * The RoIs and targets of one training step: the assigner with the run's settings and the step's keyed
 * Rng. Exported so that bench/train can give PyTorch exactly the batches this loop trains on.
 */
export function stepTargets(c: RunConfig, clips: readonly LoadedClip[], epoch: number, batch: number, device: torch.Device, rank = 0): Targets {
  // rank > 0 draws its own numbers (rank 0 draws what a 1-process run draws)
  const rng = rank === 0 ? new Rng(c.seed, 'assign', epoch, batch) : new Rng(c.seed, 'assign', epoch, batch, rank);
  return assignTargets(
    clips.map((clip) => toClipBoxes(clip, c.assigner.minProposalScore)),
    assignerOptions(c, () => rng.next(), device),
  );
}

/** Training-split facts for the losses: boxes per non-background class, labelled boxes. */
function lossContext(ds: Dataset, split: string): { classCounts: number[]; numBoxes: number } {
  const s = computeStats(ds).splits[split];
  if (!s) throw new UserError(`${ds.root}: the dataset has no split '${split}'`);
  return { classCounts: s.counts, numBoxes: s.actionBoxes };
}

/** UserError when the model's classes do not match the dataset's. */
export function checkClasses(config: RunConfig, ds: Dataset): void {
  const n = ds.classes.length;
  if (n < 2) throw new UserError(`${ds.root}: the dataset has no action classes (no VIA3 action attribute found)`);
  if (config.model.head.numClasses !== n) {
    throw new UserError(`model.head.numClasses: ${config.model.head.numClasses} but the dataset has ${n} classes including None (${ds.classes.join(', ')})`);
  }
}

/** Builds the detector of a run; UserError when its classes do not match the dataset's. */
export function buildRunDetector(config: RunConfig, ds: Dataset): ActionDetector {
  checkClasses(config, ds);
  torch.manualSeed(stepSeed(config.seed, -1, 0));
  return buildDetector(config.model);
}

const SAFETENSORS_DTYPES = new Map<string, torch.DType>([
  ['F32', 'float32'],
  ['F64', 'float64'],
  ['F16', 'float16'],
  ['BF16', 'bfloat16'],
  ['I64', 'int64'],
  ['I32', 'int32'],
]);

/** Loads a recognizer checkpoint's backbone.* into the detector (UserError when it does not fit). */
export function loadBackboneFrom(det: ActionDetector, path: string): string[] {
  const { tensors } = readSafetensors(path);
  return torch.tidy(() => {
    const state = new Map<string, torch.Tensor>();
    for (const [k, raw] of Object.entries(tensors)) {
      const dtype = SAFETENSORS_DTYPES.get(raw.dtype);
      if (!dtype) throw new UserError(`${path}: ${k}: unsupported dtype ${raw.dtype}`);
      state.set(k, torch.fromBytes(raw.data, raw.shape, dtype));
    }
    try {
      return det.loadBackbone(state, path).ignored;
    } catch (e) {
      if (e instanceof StateDictError) throw new UserError(e.message);
      throw e;
    }
  });
}

/** Trains (or continues) a run. Frees nothing it returns: the caller disposes `detector`. */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const c = o.config;
  const ds = o.dataset;
  const device = o.device ?? 'cpu';
  const emit = o.onEvent ?? (() => undefined);
  const dp = o.parallel ?? null;
  const writes = dp === null || dp.isMain; // rank 0 alone writes the run folder
  torch.setNumThreads(c.threads);
  applyBackendOptions(c);

  const trainSamples = samplesOfSplit(ds, c.data.trainSplit);
  if (trainSamples.length === 0) throw new UserError(`${ds.root}: split '${c.data.trainSplit}' has no annotated keyframes`);
  const validate = o.validator ?? null;
  const valSamples = validate ? samplesOfSplit(ds, c.data.testSplit).length : 0;
  const det = buildRunDetector(c, ds);
  let optimizer: Optimizer<{ lr: number }> | null = null;
  const loader = new ClipLoader(trainSamples, {
    clip: { clipLen: c.model.input.frames, frameInterval: c.model.input.frameInterval },
    batchSize: c.batchSize,
    mode: 'train',
    augmentation: c.data.augmentation,
    numWorkers: c.workers,
    seed: c.seed,
    repeatThreshold: c.repeatThreshold ?? undefined,
    shard: dp?.shard,
    onBadClip: c.data.onBadClip,
    onSkip: (bad) => {
      skippedClips++;
      emit({ kind: 'skipped-clip', message: bad.message, skippedClips });
    },
  });
  let skippedClips = 0;
  try {
    const latest = join(o.outDir, LATEST_FILE);
    // a run killed before its first checkpoint has its config but no latest: it starts over
    const fromCheckpoint = o.resume === true && existsSync(latest);
    if (o.loadFrom && !fromCheckpoint) {
      const ignored = loadBackboneFrom(det, o.loadFrom);
      emit({ kind: 'note', message: `backbone from ${o.loadFrom}${ignored.length ? ` (ignored ${ignored.length} tensors outside backbone.*)` : ''}` });
    }
    if (device !== 'cpu') det.to(device);
    // the learning rate scales with the global batch (batchSize clips on each rank)
    const baseLR = effectiveLR(dp ? { ...c, batchSize: c.batchSize * dp.worldSize } : c);
    optimizer = buildOptimizer(det, c.optim, baseLR);
    const loss = buildLoss(c.loss, lossContext(ds, c.data.trainSplit));
    let state: TrainState = structuredClone(INITIAL_STATE);
    if (fromCheckpoint) {
      state = loadRunCheckpoint(latest, det, optimizer);
      const where = state.sampler.batch > 0 ? `in epoch ${state.epoch + 1} after batch ${state.sampler.batch}` : `after epoch ${state.epoch}`;
      emit({ kind: 'note', message: `resumed ${o.outDir} ${where} (iteration ${state.iteration})` });
    } else if (o.resume) {
      emit({ kind: 'note', message: `${o.outDir}: no ${LATEST_FILE} yet (stopped before the first checkpoint): starting from the beginning` });
    }
    if (o.resume && writes) for (const message of recoverRunFolder(o.outDir, state)) emit({ kind: 'note', message });
    if (dp) {
      // the reference's logit BatchNorm sees only its rank's RoIs: a rank without any skips it
      const r = dp.attach(det, { noSyncBN: (name) => name.endsWith('logit_bn') });
      emit({ kind: 'note', message: `rank ${dp.rank} of ${dp.worldSize} (pid ${process.pid}): ${r.buckets} gradient buckets${c.distributed.syncBN ? `, ${r.syncBNLayers} SyncBatchNorm layers` : ''}` });
    }
    skippedClips = state.skippedClips ?? 0;
    const guard = new NonFiniteGuard(c.maxNonFinite, state.nonFiniteInRow ?? 0);
    const asked = o.shouldStop ?? (() => false);
    // distributed: a stop asked of any rank stops them all at the same step (a rank that went on alone would wait forever)
    const stopNow = dp ? () => dp.anyOver(asked()) : asked;
    let stopped = false;
    /** Saves latest.safetensors (atomically: the previous one stays whole until the new one is). */
    let saved: string | null = fromCheckpoint ? describeState(state) : null;
    const saveLatest = (s: TrainState): void => {
      if (writes) {
        const full: TrainState = { ...s, nonFiniteInRow: guard.inRow, skippedClips };
        withWritePoint(`checkpoint:${s.iteration}`, () => saveCheckpointOrSay(latest, det, c, full, optimizer!));
        emit({ kind: 'checkpoint', path: latest });
      }
      saved = describeState(s);
    };
    const lastGood = (): string => (saved !== null ? `${latest} (${saved})` : `none yet (${o.outDir} has no ${LATEST_FILE})`);
    o.onReady?.(state);
    const params = det.parameters();
    const rate = new RateMeter();
    const epochLosses: number[] = [];
    const stepLosses: number[] = [];
    const stopAt = Math.min(c.epochs, o.stopAfterEpochs ?? c.epochs);

    for (let epoch = state.epoch; epoch < stopAt && !stopped; epoch++) {
      det.train();
      const batches = loader.batchesPerEpoch(epoch);
      const epochStart = performance.now();
      // a checkpoint inside this epoch (SIGINT, checkpointEvery): go on from its batch
      const startBatch = state.sampler.epoch === epoch ? state.sampler.batch : 0;
      let sum = startBatch > 0 ? (state.epochLoss?.sum ?? 0) : 0;
      let counted = startBatch > 0 ? (state.epochLoss?.counted ?? 0) : 0;
      let pending = 0; // batches whose gradients wait for the optimiser step
      let groupFinite = true; // every loss of the pending group was finite
      let badLoss = ''; // what made the pending group's loss non-finite
      let synced = false; // distributed: the pending group's gradients were averaged
      let batch = startBatch;
      let t0 = performance.now();
      optimizer.zeroGrad();
      for await (const b of loader.epoch(epoch, startBatch)) {
        const lr = scheduledLR(c.schedule, baseLR, c.epochs, epoch, batch, batches);
        optimizer.setLR(lr);
        torch.manualSeed(stepSeed(c.seed, epoch, batch));
        const iteration = state.iteration + 1;
        const sync = pending + 1 === c.accumulate || batch + 1 === batches; // this batch ends an optimiser step
        let bad = ''; // the step's loss was not finite (on this rank or, distributed, on another)
        let stopBefore = false; // distributed: a stop asked of any rank after the previous step (agreed in this step's collective)
        const value = torch.tidy(() => {
          const dev = det.device; // batches follow the model (the loader itself stays on the CPU)
          // no clips: every clip of the batch skipped (data.onBadClip)
          const t = b.clips.length === 0 ? null : stepTargets(c, b.clips, epoch, batch, dev, dp?.rank);
          const rois = t === null ? 0 : t.rois.shape[0];
          // distributed: one collective per step decides what the ranks must do alike (src/distributed/step-agreement.ts);
          // it needs this rank's loss RoIs before the forward pass (one host read: one process skips it)
          const agreed = dp ? agreeOnStep(dp, { rois, lossRois: t === null ? 0 : lossRows(t), stop: pending === 0 && asked() }) : null;
          if (agreed?.stop) {
            stopBefore = true;
            return Number.NaN;
          }
          // the ranks skip a step together, or none does (each collective needs them all)
          if ((agreed ? agreed.everyRankHasRois : rois > 0) === false) return Number.NaN; // no clips, or every box cropped out of view
          const x = clipsToTensor(b, dev); // [N, 3, T, H, W]
          b.release(); // x holds a copy: the loader may reuse the buffer
          const logits = forwardIn(c.amp, dev, () => det.forward(x, t!.rois)); // [K, numClasses] float32
          const li = lossInputs(logits, t!); // [M, numClasses - 1]
          const m = li.logits.shape[0]; // RoIs that take part in the loss
          const total = agreed ? agreed.lossRois : m; // RoIs in the loss over all ranks
          if (total === 0) return Number.NaN; // no box takes part ('ignore' and no positives)
          const l = m > 0 ? loss(det.lossLogits(li.logits), li.targets) : null; // lossLogits: the reference's logit BatchNorm (identity when logitNorm is 'none')
          const v = l === null ? Number.NaN : isPoisoned(iteration) ? Number.NaN : l.item();
          const mine = l !== null && !Number.isFinite(v);
          if (mine) bad = `loss ${v}`;
          // one process: no backward for a non-finite loss. Distributed: the backward must run (the other
          // ranks' all-reduces wait for it); it makes this rank's gradients NaN, so the averaged gradients
          // are NaN on every rank and every rank skips the step on its gradient norm, without a collective
          if (mine && !dp) return v;
          if (dp) {
            synced ||= sync;
            dp.backwardShare(mine ? null : l, m, total, { accumulate: c.accumulate, sync, logits, params, poison: mine });
          } else {
            (c.accumulate > 1 ? l!.div(c.accumulate) : l!).backward();
          }
          crashPoint(`step:${iteration}`);
          return v;
        });
        b.release(); // a batch the step returned early from (idempotent)
        if (stopBefore) {
          // as a stop after the previous step: that step's position is saved, this batch is not counted
          state = { ...state, sampler: { epoch, batch }, epochLoss: { sum, counted } };
          saveLatest(state);
          stopped = true;
          break;
        }
        if (bad !== '') {
          groupFinite = false;
          badLoss = bad;
        }
        pending++;
        batch++;
        state.iteration++;
        // the epoch's last batches step even when fewer than `accumulate`: an epoch ends on a step, so that
        // its checkpoint holds no half-summed gradients
        if (pending === c.accumulate || batch === batches) {
          // distributed: a group whose last batch every rank skipped has its earlier gradients averaged now
          // (on every rank alike: a rank whose own loss was not finite averages its NaN gradients too)
          if (dp && !synced) dp.averageGradients(params);
          synced = false;
          // the norm is read back to catch a non-finite step (one host read per step; on a GPU this waits for it)
          const norm = !groupFinite ? Number.NaN : c.gradClip !== null ? clipGradNorm_(params, c.gradClip) : gradNorm(params);
          if (Number.isFinite(norm)) {
            optimizer.step();
            guard.good();
          } else {
            // distributed: NaN gradients after the averaging also come from a non-finite loss on another rank
            const what = groupFinite ? `gradient norm ${norm}${dp ? ' (a non-finite loss on another rank, or non-finite gradients)' : ''}` : badLoss;
            emit({ kind: 'skipped-step', epoch, batch, iteration: state.iteration, message: `${what}: step skipped (no update)` });
            guard.skipped(`epoch ${epoch + 1} batch ${batch} (iteration ${state.iteration})`, `${what}`, lastGood);
          }
          optimizer.zeroGrad();
          pending = 0;
          groupFinite = true;
          badLoss = '';
        }
        stepLosses.push(value);
        if (Number.isFinite(value)) {
          sum += value;
          counted++;
        }
        const t1 = performance.now();
        rate.add((t1 - t0) / 1000, b.clips.length);
        t0 = t1;
        const eta = estimateRemaining({
          secPerBatch: rate.batchSeconds!,
          secPerClip: rate.clipSeconds!,
          batchesLeftInEpoch: batches - batch,
          batchesPerEpoch: batches,
          epochsAfter: c.epochs - epoch - 1,
          valPassesLeft: validate ? valPassesFrom(epoch + 1, c.epochs, c.valInterval) : 0,
          lastValSeconds: state.lastValSeconds,
          valClips: valSamples,
        });
        emit({
          kind: 'step',
          epoch,
          batch,
          batches,
          epochs: c.epochs,
          iteration: state.iteration,
          loss: value,
          lr,
          clipsPerSec: 1 / Math.max(1e-9, rate.clipSeconds!),
          epochEtaSec: eta.epoch,
          runEtaSec: eta.run,
          skippedClips,
        });
        await testStepDelay();
        // a checkpoint inside the epoch, on an optimiser step (no half-summed gradients): asked for, or due
        // (distributed: asked in the next step's agreement instead, which saves a collective per step)
        const stopHere = pending === 0 && batch < batches && !dp && asked();
        if (pending === 0 && batch < batches && (stopHere || (c.checkpointEvery > 0 && batch % c.checkpointEvery === 0 && guard.inRow === 0))) {
          state = { ...state, sampler: { epoch, batch }, epochLoss: { sum, counted } };
          saveLatest(state);
          if (stopHere) {
            stopped = true;
            break;
          }
        }
      }
      if (stopped) break;
      const meanLoss = counted > 0 ? sum / counted : Number.NaN;
      epochLosses.push(meanLoss);
      emit({ kind: 'epoch', epoch: epoch + 1, meanLoss, seconds: (performance.now() - epochStart) / 1000 });
      // where the run stands before this epoch's validation (a validation abandoned for a stop resumes here)
      const beforeVal: TrainState = { ...state, sampler: { epoch, batch: batches }, epochLoss: { sum, counted } };
      state = { ...state, epoch: epoch + 1, sampler: { epoch: epoch + 1, batch: 0 }, epochLoss: undefined };

      // rank 0's BatchNorm statistics everywhere (they differ without SyncBatchNorm): what it saves and validates
      dp?.syncBuffers(det);
      let isBest = false;
      if (validate && isValEpoch(epoch + 1, c.epochs, c.valInterval)) {
        const v0 = performance.now();
        det.eval();
        let abandoned = false;
        const run = validate(det, ds, c.data.testSplit, {
          boxes: c.data.valBoxes,
          batchSize: c.batchSize,
          testShortSide: c.data.testShortSide,
          clip: { clipLen: c.model.input.frames, frameInterval: c.model.input.frameInterval },
          numWorkers: c.workers,
          device,
          ...(dp ? { shard: { rank: dp.rank, worldSize: dp.worldSize, gather: (d: DetectionBox[]) => dp.allGatherJSON(d).flat() } } : {}),
          amp: c.amp, // validated in the precision it trains in
          onProgress: (p) => {
            crashPoint(`val:${epoch + 1}`);
            // distributed: the ranks' shares differ, so no collective here: a stop waits for the validation's end
            if (!dp && asked()) {
              abandoned = true;
              throw new Error('validation abandoned for a stop');
            }
            emit({ kind: 'val-progress', epoch: epoch + 1, done: p.done, total: p.total });
          },
        });
        const outcome = await run.then(
          (r) => r,
          (e: unknown) => {
            if (abandoned) return null;
            throw e;
          },
        );
        det.train();
        if (outcome === null) {
          state = beforeVal;
          saveLatest(state);
          stopped = true;
          break;
        }
        const { report } = outcome;
        const seconds = (performance.now() - v0) / 1000;
        const score = report.allMAP ?? Number.NEGATIVE_INFINITY;
        isBest = state.best === null || score > state.best.allMAP;
        state = { ...state, lastValSeconds: seconds, best: isBest ? { allMAP: Number.isFinite(score) ? score : -1, epoch: epoch + 1 } : state.best };
        emit({ kind: 'val', epoch: epoch + 1, report, seconds, isBest });
      }
      // best first: a crash between the two leaves a latest that does not yet know of this best
      if (isBest && writes) {
        const p = join(o.outDir, BEST_FILE);
        withWritePoint(`best:${state.iteration}`, () => saveCheckpointOrSay(p, det, c, { ...state, nonFiniteInRow: guard.inRow, skippedClips }));
        emit({ kind: 'checkpoint', path: p });
      }
      saveLatest(state);
      if (stopNow() && epoch + 1 < stopAt) stopped = true;
    }
    optimizer?.zeroGrad(); // the returned detector carries no gradients
    return { detector: det, state, epochLosses, stepLosses, stopped };
  } catch (e) {
    optimizer?.zeroGrad(); // before the parameters go: zeroGrad touches them
    det.dispose();
    throw e;
  } finally {
    optimizer?.dispose();
    await loader.close();
  }
}

/** `epoch 3, batch 40` / `after epoch 2`: where a checkpoint's state stands, for messages. */
export function describeState(s: TrainState): string {
  return s.sampler.epoch === s.epoch && s.sampler.batch > 0 ? `epoch ${s.epoch + 1}, after batch ${s.sampler.batch}` : `after epoch ${s.epoch}`;
}

/**
 * Saves a run checkpoint; a write that fails (a full disk, a read-only folder) is one line saying that
 * the previous checkpoint at `path`, if any, is intact (the atomic write never touched it).
 */
function saveCheckpointOrSay(path: string, det: ActionDetector, c: RunConfig, state: TrainState, optimizer?: Optimizer<{ lr: number }>): void {
  try {
    saveRunCheckpoint(path, det, c, state, optimizer);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    const previous = existsSync(path) ? `the previous ${path} is intact` : `no earlier checkpoint was written`;
    throw new UserError(`${e.message}; the run stopped (${describeState(state)} not saved), ${previous}; free space and continue with --resume`);
  }
}
