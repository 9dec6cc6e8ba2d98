/**
 * The training section: loss and learning rate against epochs, and validation all_mAP per epoch, all
 * runs on shared axes (colour = run). Epochs (not iterations) are the x axis so that runs with other
 * batch sizes still line up.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { RunInput, TrainLine } from './runs.js';
import { chartFigure, fmt, htmlTable, bestPerRow, type Section } from './html.js';
import { CHART_CONFIG, runColourEncoding } from './theme.js';

/** At most this many points per run and curve: a long run logs thousands of steps; the page stays small. */
export const MAX_POINTS = 200;

export interface CurvePoint {
  run: string;
  /** Fractional epoch at the end of the step (1.0 = the end of the first epoch). */
  epoch: number;
  loss: number | null;
  lr: number;
}

/**
 * Training steps as points on a fractional-epoch axis, averaged over consecutive bins so that at most
 * `maxPoints` remain (the mean loss of a bin, the learning rate at its end).
 */
export function trainCurve(run: string, lines: readonly TrainLine[], maxPoints = MAX_POINTS): CurvePoint[] {
  const batches = new Map<number, number>();
  for (const l of lines) batches.set(l.epoch, Math.max(batches.get(l.epoch) ?? 0, l.batch));
  const points = lines.map((l) => ({ run, epoch: l.epoch - 1 + l.batch / batches.get(l.epoch)!, loss: l.loss, lr: l.lr }));
  const bin = Math.max(1, Math.ceil(points.length / maxPoints));
  if (bin === 1) return points;
  const out: CurvePoint[] = [];
  for (let i = 0; i < points.length; i += bin) {
    const chunk = points.slice(i, i + bin);
    const losses = chunk.map((p) => p.loss).filter((v): v is number => v !== null && Number.isFinite(v));
    const last = chunk[chunk.length - 1]!;
    out.push({ run, epoch: last.epoch, lr: last.lr, loss: losses.length ? losses.reduce((a, b) => a + b, 0) / losses.length : null });
  }
  return out;
}

function lineSpec(title: string, values: readonly object[], y: { field: string; title: string; log?: boolean }, runs: readonly string[], points: boolean): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 400,
    height: 220,
    data: { values: [...values] },
    transform: [{ filter: `isValid(datum.${y.field})` }],
    mark: { type: 'line', point: points, strokeWidth: 2, interpolate: 'linear' },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
      y: { field: y.field, type: 'quantitative', title: y.title, scale: y.log ? { type: 'log' } : { zero: false } },
      color: runColourEncoding(runs),
    },
    config: CHART_CONFIG,
  } as TopLevelSpec;
}

export function lossSpec(runs: readonly RunInput[]): TopLevelSpec {
  return lineSpec('Training loss', runs.flatMap((r) => trainCurve(r.name, r.train)), { field: 'loss', title: 'loss (mean over steps)' }, runs.map((r) => r.name), false);
}

export function lrSpec(runs: readonly RunInput[]): TopLevelSpec {
  return lineSpec('Learning rate', runs.flatMap((r) => trainCurve(r.name, r.train)), { field: 'lr', title: 'learning rate' }, runs.map((r) => r.name), false);
}

export function valSpec(runs: readonly RunInput[]): TopLevelSpec {
  const values = runs.flatMap((r) => r.val.map((v) => ({ run: r.name, epoch: v.epoch, all_mAP: v.all_mAP })));
  return lineSpec('Validation all_mAP per epoch', values, { field: 'all_mAP', title: 'all_mAP@0.5IoU' }, runs.map((r) => r.name), true);
}

/** The loss as a reader would name the recipe: `focal_bce + BatchNorm on logits`, `bce`. */
function lossLabel(r: RunInput): string {
  const norm = r.config.model.head.logitNorm;
  const weights = r.config.loss.classWeights;
  return `${r.config.loss.name}${norm === 'bn' ? ' + BatchNorm on logits' : norm !== 'none' ? ` + ${norm} on logits` : ''}${weights !== 'none' ? ` (${weights} weights)` : ''}`;
}

export async function trainingSection(runs: readonly RunInput[]): Promise<Section> {
  const names = runs.map((r) => r.name);
  const epochs = [...new Set(runs.flatMap((r) => r.val.map((v) => v.epoch)))].sort((a, b) => a - b);
  const valValues = epochs.map((e) => runs.map((r) => r.val.find((v) => v.epoch === e)?.all_mAP ?? null));
  const describe = runs.map((r) => [r.name, lossLabel(r), `${r.config.model.backbone.type} R${r.config.model.backbone.depth}`, String(r.config.epochs), String(r.config.batchSize * r.config.accumulate), String(r.config.seed), r.config.description ?? '']);
  const html = [
    '<h3>The runs</h3>',
    htmlTable(['run', 'loss', 'model', 'epochs', 'batch', 'seed', 'description'], describe),
    '<h3>Loss and learning rate</h3>',
    '<p class="explain">The loss measures how wrong the model is on the training clips; it should fall. The learning rate is the size of each correction step, set by the schedule.</p>',
    `<div class="row">${await chartFigure('loss', lossSpec(runs))}${await chartFigure('lr', lrSpec(runs))}</div>`,
    '<h3>Validation after each epoch</h3>',
    '<p class="explain">all_mAP is the mean, over the test videos, of the frame mean average precision at IoU 0.5: 1.0 means every person found with the right actions, ranked above every mistake.</p>',
    epochs.length > 0 ? await chartFigure('val-map', valSpec(runs)) : '<p class="note">No run has validated yet.</p>',
    epochs.length > 0 ? htmlTable(['epoch', ...names], epochs.map((e, i) => [String(e), ...valValues[i]!.map((v) => fmt(v))]), bestPerRow(valValues)) : '',
  ];
  return {
    id: 'training',
    title: 'Training',
    intro: 'How each model improved while it trained: every run is drawn in its own colour on the same axes.',
    html: html.join('\n'),
  };
}
