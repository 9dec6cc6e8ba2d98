/**
 * The assigner's options as a run configures them: one place for the training loop (stepTargets) and
 * the benchmarks that repeat its step (bench/amp/preset-step.ts), so that a benchmark never drifts from
 * what `stad train` assigns.
 */
import type { Device } from '../torch/index.js';
import type { TargetOptions } from '../models/index.js';
import type { RunConfig } from './config.js';

/**
 * The run's assigner settings; `random` draws the RoI sampling (the loop passes the step's keyed Rng),
 * `device` is where the targets are made (the model's).
 */
export function assignerOptions(c: RunConfig, random: () => number, device: Device): TargetOptions {
  return {
    numClasses: c.model.head.numClasses,
    // one threshold for positives, negatives and the best match, as mmaction2's AVA configs set it
    posIouThr: c.assigner.posIou,
    negIouThr: c.assigner.posIou,
    minPosIou: c.assigner.posIou,
    numSamples: c.assigner.numRois,
    addGtAsProposals: c.assigner.addGtAsProposals,
    negatives: c.assigner.negatives,
    random,
    device,
  };
}
