/**
 * The V8 flag the `stad` command starts Node with (bin/stad.js's first line, `npm run stad`, and `npm run
 * bench` for the soak benchmarks): V8's young generation (its "new space") fixed at 1 MiB semi-spaces, so
 * that a long run's resident memory does not swing with V8's sizing of it (issue #12).
 *
 * Why (bench/RESULTS.md, "soak"): V8 grows the new space (up to 2 x 16 MiB on 64-bit Node 20) when many
 * objects survive its scavenges, and shrinks it again after a collection at which the recent allocation
 * rate was low, a rate that depends on the machine's load. A training or detect loop allocates little in
 * JS, so over a long run the new space went up and down at moments nobody chose: in bench/soak, V8's
 * heapTotal moved 19.6 <-> 34.6 MB while its live objects stayed at 14.3 MB, the process's anonymous
 * memory and its RSS moved with it, and glibc's heap, the tensors and the file pages did not move at all.
 * With the flag the new space stayed at 2.0 MB in every sample.
 *
 * Why a start-up flag: V8 sizes the new space when it creates the heap. Changing
 * `--semi-space-growth-factor` at run time (v8.setFlagsFromString) was tried and did not hold it (it
 * grew 8 -> 32 MB in a 5,000-step soak). The cost of a small new space is more frequent, smaller
 * scavenges; stad keeps its data in tensors and ArrayBuffers, outside V8's heap, so its JS allocates little.
 */
export const YOUNG_GENERATION_FLAG = '--max-semi-space-size=1';
