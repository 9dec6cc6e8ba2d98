#!/usr/bin/env bash
# The prepared GPU check (issue #11), for a machine with an NVIDIA GPU, CUDA PyTorch in python3, no
# network and no Node.js (Node comes from .device-carry/, made by ../shared/tools/device-pack.sh):
#   1. builds the binding against that PyTorch's libtorch (and its torchvision, and c10d's NCCL), checks
#      it links libtorch_cuda; a failed build is retried once without NCCL and CUDA memory statistics;
#   2. runs the binding's, nn's and the models' tests with STAD_TEST_DEVICE=cuda, which includes the
#      parity check: the tiny preset's training steps give the CPU's losses on the GPU within float
#      tolerance (test/models/device-step.test.ts), and bf16 steps stay close to float32's; and the
#      NCCL checks (test/distributed/nccl.test.ts): collectives and the Reducer over one rank per GPU,
#      and `stad train` with distributed.backend "nccl" against a plain run;
#   3. measures SlowFast R50 8x8x1 training throughput (clips/s; batch 16, 32x224x224) in float32 and
#      bf16, stad (bench/gpu/index.ts) against the same model in PyTorch (bench/reference/train_step.py);
#   4. prints one JSON line last: the ratios stad / PyTorch (goal >= 1.0) and what passed.
# Must finish within 8 minutes including the build. Prepare with bench/gpu-pack.sh; bench/RESULTS.md
# (section gpu) has the `run` invocation.
#
#   bench/gpu.sh              # on the GPU machine
#   bench/gpu.sh --dry-run    # here: the same steps on the CPU with tiny sizes and no rebuild
#                             # (STAD_GPU_CHECK_DEVICE=cpu does the same)
#   bench/gpu.sh --rehearse   # here, with a CUDA PyTorch wheel's python3 first on PATH: the GPU run's
#                             # build (.device-carry/env.sh, NCCL) and its whole test list, on the CPU
set -uo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
device=${STAD_GPU_CHECK_DEVICE:-cuda}
rehearse=0
[ "${1:-}" = "--dry-run" ] && device=cpu
[ "${1:-}" = "--rehearse" ] && device=cpu && rehearse=1
built_nccl=null
built_memory_stats=null
log() { echo "[gpu.sh $((SECONDS - start))s] $*" >&2; }
# the details go to a scratch folder; the device tool returns at most 8 files from $OUT, so they are
# gathered into one file there at the end
out=/tmp/stad-gpu-check
rm -rf "$out" && mkdir -p "$out"
finish() { [ -n "${OUT:-}" ] && [ -d "$OUT" ] && for f in "$out"/*; do echo "=== $f"; cat "$f"; done > "$OUT/gpu-details.log" 2>/dev/null; }
trap finish EXIT

if [ "$device" = cpu ]; then
  # here: Debian's PyTorch (python3 on PATH may be another Python without torch)
  py=python3
  "$py" -c 'import torch, torchvision' 2>/dev/null || py=/usr/bin/python3
  sizes=(--batch 2 --frames 8 --size 32 --boxes 2 --warmup 1 --steps 1)
  stad_model=(--preset slowfast_r18_tiny)
  ref_model=(--depth 18 --width 0.25 --channel-ratio 4 --fusion-kernel 5 --threads 2)
else
  py=python3
  sizes=(--batch 16 --frames 32 --size 224 --boxes 2 --warmup 3 --steps 8)
  stad_model=(--preset slowfast_r50_8x8x1 --cudnn-benchmark)
  ref_model=(--depth 50 --cudnn-benchmark)
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >&2 || true
fi
if [ "$device" = cuda ] || [ "$rehearse" = 1 ]; then
  # shellcheck disable=SC1091
  source .device-carry/env.sh || { echo '{"bench":"gpu","error":"no .device-carry/env.sh: run bench/gpu-pack.sh and carry .device-carry"}'; exit 2; }
  # the runtime packages bench/gpu-pack.sh packed, where the working tree came without node_modules
  if [ ! -f node_modules/node-addon-api/package.json ] && [ -f .device-carry/node_modules.tar.xz ]; then
    tar -xJf .device-carry/node_modules.tar.xz || { echo '{"bench":"gpu","error":"cannot unpack .device-carry/node_modules.tar.xz"}'; exit 2; }
  fi
  # 1. the binding, against the PyTorch of python3 (LIBTORCH from env.sh); a build folder that came
  # from another machine is no use here
  log "building the binding against $LIBTORCH"
  rm -rf native/build
  built_nccl=true
  built_memory_stats=true
  if ! node scripts/build-native.mjs > "$out/build.log" 2>&1; then
    tail -30 "$out/build.log" >&2
    # a header that moved in this PyTorch: build once more without the optional parts (NCCL, the
    # CUDA caching allocator's statistics), so that the rest can still be measured
    log "build failed; retrying without NCCL and CUDA memory statistics"
    cp "$out/build.log" "$out/build-first.log"
    rm -rf native/build
    built_nccl=false
    built_memory_stats=false
    STAD_NCCL=0 STAD_NO_CUDA_MEMORY_STATS=1 node scripts/build-native.mjs > "$out/build.log" 2>&1 || {
      tail -40 "$out/build.log" >&2
      echo '{"bench":"gpu","error":"the native build failed (see build.log)"}'
      exit 1
    }
  fi
  grep -q 'NCCL: yes' "$out/build.log" || built_nccl=false
  grep -E 'libtorch|torchvision|linking' "$out/build.log" >&2 || true
  # dist/ came with the working tree (tsc needs no GPU); rebuild it only when missing
  [ -f dist/src/torch/index.js ] || node node_modules/typescript/bin/tsc -p tsconfig.json || exit 1
fi

# 2. tests on the device (the parity check among them)
log "tests with STAD_TEST_DEVICE=$device"
if [ "$device" = cpu ] && [ "$rehearse" = 0 ]; then
  tests=(dist/test/torch/device.test.js dist/test/nn/host-reads.test.js dist/test/models/device-step.test.js dist/test/distributed/nccl.test.js)
else
  tests=(dist/test/torch/*.test.js dist/test/nn/*.test.js dist/test/models/*.test.js dist/test/distributed/nccl.test.js)
fi
# bounded, so that the throughput is still measured within the run's time limit if a test hangs
STAD_TEST_DEVICE=$device timeout "${STAD_GPU_TEST_TIMEOUT:-300}" node --test --test-concurrency=1 --test-reporter=spec "${tests[@]}" > "$out/tests.log" 2>&1
tests_rc=$?
[ "$tests_rc" = 124 ] && log "the tests ran past ${STAD_GPU_TEST_TIMEOUT:-300} s and were stopped" 
grep -E '^ℹ (tests|pass|fail|skipped)|^✖|not ok' "$out/tests.log" | head -40 >&2
parity=$(grep -q '✔ float32 steps on .* give the CPU.s losses' "$out/tests.log" && echo pass || { grep -q '﹣ float32 steps on' "$out/tests.log" && echo skipped || echo fail; })
bf16=$(grep -q '✔ bf16 autocast: the tiny preset' "$out/tests.log" && echo pass || echo fail)
# pass, skipped (no GPU, or a build without NCCL) or fail, for each of the NCCL checks
outcome() { grep -q "✔ $1" "$out/tests.log" && echo pass || { grep -q "﹣ $1" "$out/tests.log" && echo skipped || echo fail; }; }
nccl=$(outcome 'NCCL: all-reduce')
nccl_train=$(outcome 'stad train with distributed.backend')

# 3. throughput, stad and PyTorch alternating, float32 then bf16
declare -A clips
for amp in none bf16; do
  log "stad, amp $amp"
  node dist/bench/gpu/index.js --device "$device" --amp "$amp" "${sizes[@]}" "${stad_model[@]}" 2>>"$out/stad-$amp.log" | tail -1 > "$out/stad-$amp.json"
  log "PyTorch, amp $amp"
  "$py" bench/reference/train_step.py --device "$device" --amp "$amp" --classes 7 "${sizes[@]}" "${ref_model[@]}" 2>>"$out/ref-$amp.log" | tail -1 > "$out/ref-$amp.json"
  for side in stad ref; do
    clips[$side-$amp]=$(node -e 'try { const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(o.clips_per_s ?? "null"); } catch { console.log("null"); }' "$out/$side-$amp.json")
    [ "${clips[$side-$amp]}" = null ] && tail -5 "$out/$side-$amp.log" >&2
  done
  log "clips/s: stad ${clips[stad-$amp]}, PyTorch ${clips[ref-$amp]}"
done

# 4. one JSON line of ratios, last
node -e '
const [device, testsRc, parity, bf16, nccl, ncclTrain, builtNccl, builtStats, seconds, sf, rf, sb, rb] = process.argv.slice(1);
const n = (x) => (x === "null" ? null : Number(x));
const ratio = (a, b) => (n(a) === null || n(b) === null ? null : Number((n(a) / n(b)).toFixed(3)));
console.log(JSON.stringify({
  bench: "gpu", device, tests: testsRc === "0" ? "pass" : testsRc === "124" ? "timeout" : "fail", parity, bf16Step: bf16, nccl, ncclTrain,
  built: { nccl: JSON.parse(builtNccl), cudaMemoryStats: JSON.parse(builtStats) },
  clipsPerSec: { stadFloat32: n(sf), torchFloat32: n(rf), stadBf16: n(sb), torchBf16: n(rb) },
  ratioFloat32: ratio(sf, rf), ratioBf16: ratio(sb, rb), seconds: Number(seconds),
}));' "$device" "$tests_rc" "$parity" "$bf16" "$nccl" "$nccl_train" "$built_nccl" "$built_memory_stats" "$((SECONDS - start))" "${clips[stad-none]}" "${clips[ref-none]}" "${clips[stad-bf16]}" "${clips[ref-bf16]}"
