import { modelPreset, type ModelConfig } from '../../src/models/presets.js';

/** A SlowFast small enough to classify a clip in milliseconds: 8 base channels, 8 frames of 32 px. */
export function tinyModelConfig(numClasses = 7): ModelConfig {
  const base = modelPreset('slowfast_r18_tiny');
  if (base.backbone.type !== 'slowfast') throw new Error('slowfast_r18_tiny is expected to be a SlowFast');
  return { backbone: { ...base.backbone, baseChannels: 8, channelRatio: 4 }, head: { ...base.head, numClasses }, input: { frames: 8, frameInterval: 1, size: 32 } };
}
