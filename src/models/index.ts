/** Detection models: SlowFast / SlowOnly backbones, the AVA RoI head, the detector, targets, presets. */
export { ConvModule, Bottleneck3d, BasicBlock3d, makeResLayer, initResNet3d, RESNET_ARCH } from './resnet3d.js';
export type { ResNetDepth, Triple, ResidualBlock, BlockOptions, ConvModuleOptions } from './resnet3d.js';
export { ResNet3dPathway, ResNet3dSlowFast, ResNet3dSlowOnly, slowFastOptions, slowOnlyOptions, subsampleTime } from './slowfast.js';
export type { Backbone, SlowFastOptions, SlowOnlyOptions, PathwayOptions, LateralOptions } from './slowfast.js';
export { SingleRoIExtractor3D, BBoxHeadAVA, AVARoIHead } from './roi-head.js';
export type { RoIHeadOptions, RoIExtractorOptions, BBoxHeadOptions, TemporalPool, LogitNorm } from './roi-head.js';
export { ActionDetector, assignTargets, lossInputs } from './detector.js';
export type { TargetOptions, Targets } from './detector.js';
export { assignClip, boxIou } from './assign.js';
export type { Box, ClipBoxes, AssignOptions, AssignedClip } from './assign.js';
export { MODEL_PRESETS, modelPreset, isModelPresetName, parseModelConfig, buildDetector, buildBackbone, ModelConfigSchema } from './presets.js';
export type { ModelConfig, ModelPresetName, ModelPreset, SlowFastConfig, SlowOnlyConfig, HeadConfig } from './presets.js';
