/**
 * Registers every subcommand. A subcommand module declares its options cheaply and imports its
 * implementation inside the action (dynamic `import()`), so that `stad --help` and the tensor-free
 * commands (`eval`, `stats`, `convert`, `synth`, `gpustat`) start instantly and never load libtorch.
 */
import type { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerSelfcheck } from './selfcheck.js';
import { registerSynth } from './synth.js';
import { registerStats } from './stats.js';
import { registerConvert } from './convert.js';
import { registerEval } from './eval.js';
import { registerTrain } from './train.js';
import { registerTest } from './test.js';
import { registerGpustat } from './gpustat.js';
import { registerCompare } from './compare.js';
import { registerReport } from './report.js';
import { registerDetect } from './detect.js';
import { registerProposals } from './proposals.js';

export function registerCommands(program: Command): void {
  registerDemo(program);
  registerSelfcheck(program);
  registerSynth(program);
  registerStats(program);
  registerConvert(program);
  registerEval(program);
  registerTrain(program);
  registerTest(program);
  registerCompare(program);
  registerGpustat(program);
  registerReport(program);
  registerDetect(program);
  registerProposals(program);
}
