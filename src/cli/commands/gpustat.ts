/**
 * `stad gpustat [-c] [-p] [-u] [-i [seconds]] [--json] [--no-color]`: gpustat's view of the GPUs (a
 * header, then per GPU its temperature, utilisation, memory, power and processes), read from
 * nvidia-smi. `-i` refreshes until Ctrl-C: in place on a terminal, appended blocks (or JSON lines)
 * elsewhere. Without a usable NVIDIA driver: one line on stderr and exit code 1. Needs no tensors, so
 * it never loads libtorch.
 */
import type { Command } from 'commander';
import { numberFlag } from '../flags.js';

interface GpustatFlags {
  showCmd?: boolean;
  showPid?: boolean;
  showUser?: boolean;
  interval?: string | true;
  json?: boolean;
  /** undefined unless --color or --no-color was given */
  color?: boolean;
}

/** Seconds between refreshes, or undefined for a single report. `-i` alone means 1 s, as in gpustat. */
function parseInterval(value: string | true | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (value === true) return 1;
  return numberFlag('--interval', value, { above: 0 });
}

/** Resolves once `text` is handed to the OS (or the stream has failed: a closed pipe ends the watch). */
function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((done) => stream.write(text, () => done()));
}

export function registerGpustat(program: Command): void {
  program
    .command('gpustat')
    .description("the GPUs' temperature, utilisation, memory, power and processes, as gpustat shows them (from nvidia-smi)")
    .option('-c, --show-cmd', "show each process's command name")
    .option('-p, --show-pid', "show each process's pid")
    .option('-u, --show-user', "show each process's user (shown anyway unless -c)")
    .option('-i, --interval [seconds]', 'refresh every N seconds (1 if not given) until Ctrl-C')
    .option('--json', 'print JSON (one object; with -i, one line per refresh)')
    .option('--color', 'colour the output even when it is not a terminal')
    .option('--no-color', 'no colours (also: NO_COLOR=1)')
    .addHelpText(
      'after',
      '\nExample: stad gpustat -cp -i 1\n' +
        'Needs nvidia-smi (the NVIDIA driver) on PATH. STAD_PROCFS names another procfs (e.g. /host/proc in a container).',
    )
    .action(async (flags: GpustatFlags) => {
      const interval = parseInterval(flags.interval);
      const { takeSnapshot, formatSnapshot, snapshotToJson, styler, NvidiaSmiError } = await import('../../gpu/index.js');
      const { useColor } = await import('../color.js');
      const out = process.stdout;
      const style = styler(!flags.json && useColor(out, flags.color));
      const render = (snap: Awaited<ReturnType<typeof takeSnapshot>>): string =>
        flags.json
          ? `${JSON.stringify(snapshotToJson(snap), null, interval === undefined ? 2 : undefined)}\n`
          : formatSnapshot(snap, { showCmd: flags.showCmd, showPid: flags.showPid, showUser: flags.showUser, style });
      const noDriver = (e: unknown): boolean => {
        if (!(e instanceof NvidiaSmiError)) return false;
        process.stderr.write(`stad gpustat: ${e.message}\n`);
        process.exitCode = 1;
        return true;
      };

      if (interval === undefined) {
        let text: string;
        try {
          text = render(await takeSnapshot());
        } catch (e) {
          if (noDriver(e)) return;
          throw e;
        }
        await write(out, text);
        return;
      }

      // -i: refresh until SIGINT/SIGTERM (or until stdout is closed, e.g. `| head`), then exit 0.
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      const onOutError = (): void => stop.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      out.on('error', onOutError);
      const { InPlaceView } = await import('../redraw.js');
      const { setTimeout: sleep } = await import('node:timers/promises');
      const view = out.isTTY && !flags.json ? new InPlaceView(out) : undefined;
      try {
        for (let refresh = 0; !stop.signal.aborted; refresh++) {
          const started = performance.now();
          let text: string;
          try {
            text = render(await takeSnapshot());
          } catch (e) {
            // Ctrl-C on a terminal reaches nvidia-smi as well: that is a stop, not a failure.
            if (stop.signal.aborted || (e instanceof NvidiaSmiError && e.signal === 'SIGINT')) break;
            if (refresh === 0) {
              if (noDriver(e)) return;
              throw e;
            }
            if (!(e instanceof NvidiaSmiError)) throw e;
            // The driver went away or nvidia-smi hung mid-watch: say so in place of the view, keep watching.
            text = flags.json ? `${JSON.stringify({ query_time: new Date().toISOString(), error: e.message })}\n` : `${e.message}\n`;
          }
          if (stop.signal.aborted) break;
          if (view) view.draw(text);
          else await write(out, flags.json ? text : `${text}\n`);
          const wait = interval * 1000 - (performance.now() - started);
          await sleep(Math.max(0, wait), undefined, { signal: stop.signal }).catch(() => undefined);
        }
      } finally {
        view?.close();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        out.off('error', onOutError);
      }
    });
}
