/**
 * `stad convert checkpoint <in.pth> <out.safetensors>`: imports a Kinetics-pretrained SlowFast / SlowOnly
 * checkpoint saved by mmaction2 or PySlowFast into stad's parameter names (see src/models/checkpoint-import.ts).
 * The pickle inside the .pth is interpreted without executing anything (src/serialization/pth.ts).
 *
 * Registered under the `convert` command by `addCheckpointSubcommand(convert)`.
 */
import type { Command } from 'commander';

export function addCheckpointSubcommand(convert: Command): void {
  convert
    .command('checkpoint')
    .description('import an mmaction2 or PySlowFast SlowFast/SlowOnly .pth checkpoint as safetensors with stad names')
    .argument('<in.pth>', 'PyTorch checkpoint (torch.save zip format)')
    .argument('<out.safetensors>', 'file to write (atomically)')
    .option('--strict-globals', 'refuse any Python global outside the tensor machinery, even in meta/optimizer entries')
    .action(async (input: string, output: string, flags: { strictGlobals?: boolean }) => {
      const { convertCheckpoint } = await import('../../models/checkpoint-import.js');
      const r = convertCheckpoint(input, output, { strictGlobals: flags.strictGlobals === true });
      const lines = [
        `${input}: ${r.format} ${r.architecture} checkpoint (state dict under ${r.container === 'root' ? 'the root' : `"${r.container}"`})`,
        ...r.notes.map((n) => `  ${n}`),
        `wrote ${output}: ${r.tensorCount} tensors, ${r.parameterCount.toLocaleString('en-US')} parameters`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
