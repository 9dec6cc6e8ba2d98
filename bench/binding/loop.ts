/**
 * A bare loop of one tiny-addition variant, for profilers:
 *   perf record -e cpu-clock --call-graph dwarf node --perf-basic-prof dist/bench/binding/loop.js raw 1000000
 * Variants: dispose | tidy | raw (see stad.ts). Prints wall-clock and process-CPU microseconds per call.
 */
import { TinyAdd, type StadAddVariant } from './stad.js';

const variants: readonly StadAddVariant[] = ['dispose', 'tidy', 'raw'];
const variant = process.argv[2] as StadAddVariant | undefined;
const iters = Number(process.argv[3] ?? 1_000_000);
if (variant === undefined || !variants.includes(variant) || !Number.isInteger(iters) || iters < 1) {
  console.error(`usage: node dist/bench/binding/loop.js <${variants.join('|')}> [iterations]`);
  process.exit(2);
}
const add = new TinyAdd();
const t = add.overhead(variant, iters);
add.dispose();
console.log(`${variant}: ${t.us.toFixed(3)} us/call wall, ${t.cpuUs.toFixed(3)} us/call CPU over ${iters} calls`);
