/**
 * Model configurations: one flat, JSON-able object per model (backbone, RoI head, and the clip the
 * model expects), validated with zod, and the named presets. Every field is documented here, once.
 *
 *   const cfg = modelPreset('slowfast_r50_8x8x1');            // mmaction2's AVA SlowFast
 *   const det = buildDetector({ ...cfg, head: { ...cfg.head, numClasses: 7 } });
 */
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import { ResNet3dSlowFast, ResNet3dSlowOnly, slowFastOptions, slowOnlyOptions, type Backbone } from './slowfast.js';
import { ActionDetector } from './detector.js';

const int = (min: number) => z.number().int().min(min);
const depth = z.union([z.literal(18), z.literal(50), z.literal(101)]).describe('ResNet depth: 18 (basic blocks), 50 or 101 (bottlenecks)');
const kernel = z.tuple([int(1), int(1), int(1)]);
const perStage = <T extends z.ZodType>(t: T) => z.tuple([t, t, t, t]);

export const SlowFastConfigSchema = z
  .object({
    type: z.literal('slowfast'),
    depth,
    baseChannels: int(1).describe('stem channels of the slow pathway (64); stage i has baseChannels * 2^i planes'),
    resampleRate: int(1).describe('tau: the slow pathway takes one input frame in resampleRate'),
    speedRatio: int(1).describe('alpha: the fast pathway takes speedRatio times the slow frames'),
    channelRatio: int(1).describe('1/beta: the fast pathway has baseChannels / channelRatio channels'),
    fusionKernel: int(1).describe('temporal kernel of the fast-to-slow lateral convs (odd)'),
    lateralNorm: z.boolean().default(false).describe('BatchNorm + ReLU after each lateral conv (PySlowFast checkpoints); mmaction2 has none'),
    slowConv1Kernel: kernel.describe('stem kernel (t, h, w) of the slow pathway'),
    fastConv1Kernel: kernel.describe('stem kernel (t, h, w) of the fast pathway'),
    slowInflate: perStage(z.boolean()).describe('per stage res2..res5: temporal kernels in the slow blocks'),
    fastInflate: perStage(z.boolean()).describe('per stage res2..res5: temporal kernels in the fast blocks'),
    spatialStrides: perStage(int(1)).describe('per stage res2..res5: spatial stride of the first block'),
    zeroInitResidual: z.boolean().describe('zero the last BatchNorm of each residual block at init'),
  })
  .strict()
  .refine((c) => c.resampleRate % c.speedRatio === 0, { message: 'resampleRate must be a multiple of speedRatio', path: ['resampleRate'] })
  .refine((c) => c.baseChannels % c.channelRatio === 0, { message: 'baseChannels must be a multiple of channelRatio', path: ['baseChannels'] })
  .refine((c) => c.fusionKernel % 2 === 1, { message: 'fusionKernel must be odd', path: ['fusionKernel'] });

export const SlowOnlyConfigSchema = z
  .object({
    type: z.literal('slowonly'),
    depth,
    baseChannels: int(1).describe('stem channels (64)'),
    resampleRate: int(1).describe('the network takes one input frame in resampleRate (1: all)'),
    conv1Kernel: kernel.describe('stem kernel (t, h, w)'),
    inflate: perStage(z.boolean()).describe('per stage res2..res5: temporal kernels in the blocks'),
    spatialStrides: perStage(int(1)).describe('per stage res2..res5: spatial stride of the first block'),
    zeroInitResidual: z.boolean().describe('zero the last BatchNorm of each residual block at init'),
  })
  .strict();

export const HeadConfigSchema = z
  .object({
    numClasses: int(2).describe('classes including the background / "None" class 0 (81 for AVA)'),
    temporalPool: z.enum(['avg', 'max']).describe('how each pathway is pooled over time before RoIAlign'),
    roiOutputSize: int(1).describe('RoIAlign output size (8)'),
    samplingRatio: int(0).describe('RoIAlign sampling points per bin side; 0 = adaptive'),
    dropout: z.number().min(0).max(1).describe('dropout on the RoI features (0.5)'),
    logitNorm: z
      .enum(['none', 'bn'])
      .describe("'bn': the reference recipe's BatchNorm1d over the numClasses - 1 non-background logits, inside the loss only; test scores are the sigmoid of the raw logits"),
  })
  .strict();

export const InputConfigSchema = z
  .object({
    frames: int(1).describe('frames per clip given to the network'),
    frameInterval: int(1).describe('source frames between consecutive clip frames'),
    size: int(16).describe('short side (training crop side) in pixels'),
  })
  .strict();

export const ModelConfigSchema = z
  .object({
    backbone: z.discriminatedUnion('type', [SlowFastConfigSchema, SlowOnlyConfigSchema]),
    head: HeadConfigSchema,
    input: InputConfigSchema,
  })
  .strict();

export type SlowFastConfig = z.infer<typeof SlowFastConfigSchema>;
export type SlowOnlyConfig = z.infer<typeof SlowOnlyConfigSchema>;
export type HeadConfig = z.infer<typeof HeadConfigSchema>;
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

const AVA_HEAD: HeadConfig = { numClasses: 81, temporalPool: 'avg', roiOutputSize: 8, samplingRatio: 0, dropout: 0.5, logitNorm: 'none' };

/** A preset's backbone: the model's own defaults (slowfast.ts) with overrides, validated. */
function slowFast(o: Partial<SlowFastConfig>): SlowFastConfig {
  return SlowFastConfigSchema.parse({ type: 'slowfast', ...slowFastOptions(o) });
}

function slowOnly(o: Partial<SlowOnlyConfig>): SlowOnlyConfig {
  return SlowOnlyConfigSchema.parse({ type: 'slowonly', ...slowOnlyOptions(o) });
}

export interface ModelPreset {
  description: string;
  config: ModelConfig;
}

export const MODEL_PRESETS = {
  slowfast_r50_8x8x1: {
    description: "mmaction2's AVA SlowFast R50 8x8x1: 32 frames (interval 2), slow 8 / fast 32, fusion kernel 7",
    config: { backbone: slowFast({}), head: AVA_HEAD, input: { frames: 32, frameInterval: 2, size: 256 } },
  },
  slowfast_r50_4x16x1: {
    description: "mmaction2's AVA SlowFast R50 4x16x1: 32 frames (interval 2), slow 4 / fast 32, fusion kernel 5",
    config: { backbone: slowFast({ resampleRate: 8, speedRatio: 8, fusionKernel: 5 }), head: AVA_HEAD, input: { frames: 32, frameInterval: 2, size: 256 } },
  },
  slowonly_r50_8x8: {
    description: "mmaction2's AVA SlowOnly R50 8x8x1: 8 frames, interval 8",
    config: { backbone: slowOnly({}), head: AVA_HEAD, input: { frames: 8, frameInterval: 8, size: 256 } },
  },
  slowonly_r50_4x16: {
    description: "mmaction2's AVA SlowOnly R50 4x16x1: 4 frames, interval 16",
    config: { backbone: slowOnly({}), head: AVA_HEAD, input: { frames: 4, frameInterval: 16, size: 256 } },
  },
  slowfast_r18_tiny: {
    description: 'small CPU SlowFast: R18 with 16 base channels (fast 4), 16 frames (interval 2) at 112 px, 7 classes',
    config: {
      backbone: slowFast({ depth: 18, baseChannels: 16, channelRatio: 4, fusionKernel: 5 }),
      head: { ...AVA_HEAD, numClasses: 7 },
      input: { frames: 16, frameInterval: 2, size: 112 },
    },
  },
  slowonly_r18_tiny: {
    description: 'small CPU SlowOnly: R18 with 16 base channels, 16 frames (interval 2) subsampled to 8, 112 px, 7 classes',
    config: { backbone: slowOnly({ depth: 18, baseChannels: 16, resampleRate: 2 }), head: { ...AVA_HEAD, numClasses: 7 }, input: { frames: 16, frameInterval: 2, size: 112 } },
  },
} satisfies Record<string, ModelPreset>;

export type ModelPresetName = keyof typeof MODEL_PRESETS;

export function isModelPresetName(name: string): name is ModelPresetName {
  return Object.hasOwn(MODEL_PRESETS, name);
}

/** A fresh copy of a preset's configuration. Unknown names are a UserError listing the known ones. */
export function modelPreset(name: string): ModelConfig {
  if (!isModelPresetName(name)) throw new UserError(`unknown model preset '${name}' (known: ${Object.keys(MODEL_PRESETS).join(', ')})`);
  return structuredClone(MODEL_PRESETS[name].config);
}

/**
 * Validates a configuration read from `source` (a file name, for the message): a UserError naming the
 * first bad field otherwise.
 */
export function parseModelConfig(value: unknown, source = 'model config'): ModelConfig {
  const r = ModelConfigSchema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
  throw new UserError(`${source}: ${where}: ${issue.message}`);
}

export function buildBackbone(c: ModelConfig['backbone']): Backbone {
  if (c.type === 'slowfast') {
    const { type: _type, ...o } = c;
    return new ResNet3dSlowFast(o);
  }
  const { type: _type, ...o } = c;
  return new ResNet3dSlowOnly(o);
}

/** A freshly initialised detector (mmaction2's from-scratch init) for a validated configuration. */
export function buildDetector(config: ModelConfig): ActionDetector {
  const c = parseModelConfig(config);
  const h = c.head;
  return new ActionDetector(buildBackbone(c.backbone), {
    numClasses: h.numClasses,
    temporalPool: h.temporalPool,
    outputSize: h.roiOutputSize,
    samplingRatio: h.samplingRatio,
    dropout: h.dropout,
    logitNorm: h.logitNorm,
  });
}
