/**
 * The `stad` command. Each subcommand lives in its own module under src/cli/commands/ and is loaded only
 * when it runs, so that commands needing no tensors (`eval`, `stats`, `--help`) never load libtorch.
 * This is the only place that turns errors into exit codes.
 */
import { Command } from 'commander';
import { isUserError } from '../util/errors.js';
import { describeFsError, isFsUserError } from '../util/fs.js';
import { registerCommands } from './commands/index.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('stad')
    .description('Spatio-temporal action detection: train, evaluate and run SlowFast-style detectors')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    return reportError(e);
  }
}

function reportError(e: unknown): number {
  const err = e as { code?: string; exitCode?: number; message?: string };
  if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
    // commander has already printed its message (help, version, or a usage error).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return 2;
  }
  if (isUserError(e)) {
    process.stderr.write(`stad: ${e.message}\n`);
    return 2;
  }
  // A file-system error that a module did not wrap (a read-only folder, a full disk, a path that is a
  // folder) is still the user's to fix: one line naming the path, not a stack trace.
  if (isFsUserError(e)) {
    const path = (e as { dest?: string }).dest ?? e.path;
    process.stderr.write(`stad: ${path !== undefined ? `${path}: ` : ''}cannot ${e.syscall}: ${describeFsError(e)}\n`);
    return 2;
  }
  process.stderr.write(`stad: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  return 1;
}

const invokedDirectly = process.argv[1] && /[\\/](main\.js|stad(\.js)?)$/.test(process.argv[1]);
/** Exits once everything written to stdout and stderr has been flushed (a pipe may still hold it). */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => exitAfterFlush(code),
    (e) => {
      process.stderr.write(`stad: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
