/**
 * Registers every subcommand. A subcommand module declares its options cheaply and imports its
 * implementation inside the action (dynamic `import()`), so that `stad --help` and the tensor-free
 * commands (`eval`, `stats`, `convert`, `synth`) start instantly and never load libtorch.
 */
import type { Command } from 'commander';
import { registerSynth } from './synth.js';

export function registerCommands(program: Command): void {
  registerSynth(program);
}
