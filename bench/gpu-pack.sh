#!/usr/bin/env bash
# Prepares, here, what bench/gpu.sh needs on a GPU machine that has no Node.js, no npm and no network,
# and says whether it fits the device tool's 64 MiB:
#   - .device-carry/ from ../shared/tools/device-pack.sh: a Node.js binary and the Node-API headers;
#   - .device-carry/node_modules.tar.xz: the packages the binding's build and the GPU tests load at run
#     time (the test list includes `stad train`, which reads frames through sharp), xz-compressed
#     (sharp's libvips alone is 16 MB) — bench/gpu.sh unpacks it there;
#   - dist/, compiled here (the GPU machine runs no tsc).
# Then one device `run` with carry [".device-carry", "dist"] (bench/RESULTS.md, section gpu).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ../shared/tools/device-pack.sh >/dev/null
node node_modules/typescript/bin/tsc -p tsconfig.json
# the runtime dependencies (package.json) and theirs, without vega/vega-lite (only `stad report` loads
# them) and without sharp's builds for other platforms; the GPU machine is x86-64 Linux with glibc
packages=(zod commander node-addon-api sharp @img/colour @img/sharp-linux-x64 @img/sharp-libvips-linux-x64 detect-libc semver)
for p in "${packages[@]}"; do
  [ -f "node_modules/$p/package.json" ] || { echo "gpu-pack: node_modules/$p is missing (run npm ci first)" >&2; exit 2; }
done
tar -cJf .device-carry/node_modules.tar.xz "${packages[@]/#/node_modules/}"
# what travels: the tracked and untracked-but-not-ignored files, and the two carried folders
tree_bytes=$( { git ls-files -z; git ls-files -z --others --exclude-standard; } | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
carry_bytes=$(du -sb .device-carry dist | awk '{ s += $1 } END { print s }')
total=$((tree_bytes + carry_bytes))
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "gpu-pack: working tree $(mib "$tree_bytes"), .device-carry + dist $(mib "$carry_bytes"): $(mib "$total") of the 64 MiB a call carries" >&2
[ "$total" -lt $((64 * 1048576)) ] || { echo "gpu-pack: over 64 MiB" >&2; exit 1; }
