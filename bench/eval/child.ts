/**
 * Runs the `stad` CLI in this process and reports its peak resident memory on stderr as a last line
 * `MAXRSS_KB <n> CPU_S <seconds>`, so that the benchmark can measure the command itself in a child process.
 */
import { main } from '../../src/cli/main.js';

const code = await main(process.argv.slice(2));
const usage = process.resourceUsage();
process.stderr.write(`MAXRSS_KB ${usage.maxRSS} CPU_S ${((usage.userCPUTime + usage.systemCPUTime) / 1e6).toFixed(3)}\n`);
process.exit(code);
