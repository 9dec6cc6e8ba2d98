// Facts about the libtorch installation the native binding is built against, and the choice of the
// torchvision operator library that goes with it. Pure functions over paths, versions and library names
// (tested in test/torch/torch-install.test.ts); scripts/build-native.mjs gathers the inputs.
//
// Why torchvision is resolved here, at build time: torchvision's _C library links libtorch by its
// sonames. Loading one built for another libtorch (Debian's CPU python3-torchvision, which needs
// libc10.so.1.13, beside a PyTorch's libc10.so) pulls a second libtorch into the process, with its own
// dispatcher and allocator; the operators then register in the wrong one, or the process crashes. So
// the library must come from the same installation as the libtorch the binding links, and one that
// needs another libtorch's libraries is refused with a message that says which.

/** 'major.minor' of a version string such as '2.11.0+cu130' or '0.14.1a0'; null when unreadable. */
export function majorMinor(version) {
  const m = /^(\d+)\.(\d+)/.exec(String(version ?? '').trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

/**
 * The torchvision minor version released with a torch version: torch 1.x pairs with 0.(x+1)
 * (1.13 - 0.14), torch 2.x with 0.(x+15) (2.0 - 0.15, 2.11 - 0.26). null when unknown (torch 3).
 */
export function torchvisionMinorFor(torchVersion) {
  const v = majorMinor(torchVersion);
  if (!v) return null;
  if (v.major === 1) return v.minor + 1;
  if (v.major === 2) return v.minor + 15;
  return null;
}

/**
 * Folders where the torchvision of a torch installation lives, best first.
 * torch: { kind: 'python' | 'libtorch' | 'debian', torchDir?: the torch package folder (kind python,
 * or a LIBTORCH that is one) }.
 */
export function torchvisionDirsFor(torch, { sep = '/' } = {}) {
  const parent = (p) => p.replace(/[\\/]+$/, '').split(/[\\/]/).slice(0, -1).join(sep);
  if (torch.kind === 'debian') return ['/usr/lib/python3/dist-packages/torchvision'];
  if (torch.torchDir) return [`${parent(torch.torchDir)}${sep}torchvision`];
  return [];
}

/**
 * The compiled operator library among a torchvision folder's file names: '_C.so' or
 * '_C.cpython-311-....so', and from torchvision 0.29 on '_C_stable.so' (its operators built on
 * PyTorch's stable ABI; they register in the same dispatcher under the same names).
 */
export function operatorLibraryName(fileNames) {
  return fileNames.find((f) => /^_C(\..*)?\.so$/.test(f)) ?? fileNames.find((f) => /^_C_stable(\..*)?\.so$/.test(f)) ?? null;
}

const TORCH_LIB = /^lib(c10|torch)(_[a-z0-9_]+)?\.so(\.[0-9.]+)?$/;

/**
 * Why a torchvision library does not fit a libtorch, or null when it does.
 *   torchVersion: the libtorch's version ('1.13.0', '2.11.0+cu130');
 *   torchLibs: the file names of the libtorch's libraries (libc10.so, libtorch_cpu.so.1.13, ...);
 *   tv: { path, version (torchvision's, or null when unknown), needed: the library's DT_NEEDED names }.
 */
export function torchvisionMismatch(torchVersion, torchLibs, tv) {
  const have = new Set(torchLibs);
  const foreign = tv.needed.filter((n) => TORCH_LIB.test(n) && !have.has(n));
  if (foreign.length > 0) {
    return `${tv.path} needs ${foreign.join(', ')}, which the libtorch the binding is built against (${torchVersion}) does not provide: it belongs to another libtorch installation, and loading it would load a second libtorch`;
  }
  const want = torchvisionMinorFor(torchVersion);
  const got = majorMinor(tv.version);
  if (want !== null && got !== null && (got.major !== 0 || got.minor !== want)) {
    return `${tv.path} is torchvision ${tv.version}, but torch ${torchVersion} goes with torchvision 0.${want}`;
  }
  return null;
}

/**
 * Chooses the torchvision operator library for a libtorch.
 *   override: $STAD_TORCHVISION_LIB ('none' builds without one; a path is checked like any other);
 *   candidates: [{ path, version, needed }]: the override's library when one is given, else those found
 *   in torchvisionDirsFor's folders, in that order.
 * Returns { path } (path '' for none, with a `note`), or { error } for a mismatch.
 */
export function chooseTorchvision({ torchVersion, torchLibs, override, candidates }) {
  if (override === 'none') return { path: '', note: 'STAD_TORCHVISION_LIB=none: built without torchvision (RoIAlign and NMS unavailable)' };
  if (override && candidates.length === 0) return { error: `STAD_TORCHVISION_LIB=${override}: no such library` };
  for (const c of candidates) {
    const why = torchvisionMismatch(torchVersion, torchLibs, c);
    if (why) {
      return {
        error: `${why}. Install the torchvision that matches this torch in the same place, or set STAD_TORCHVISION_LIB to a matching _C library (STAD_TORCHVISION_LIB=none to build without RoIAlign/NMS)`,
      };
    }
    return { path: c.path };
  }
  return { path: '', note: "no torchvision found beside this libtorch: RoIAlign and NMS will be unavailable (install torchvision there, or set STAD_TORCHVISION_LIB)" };
}

/** The C++ standard the torch headers need: C++20 from PyTorch 2.12 on (its ATen headers refuse older ones). */
export function cxxStandardFor(torchVersion) {
  const v = majorMinor(torchVersion);
  return v && (v.major > 2 || (v.major === 2 && v.minor >= 12)) ? 20 : 17;
}

/** Whether an addon's DT_NEEDED names include libtorch_cuda (a CUDA build that kept it). */
export function linksTorchCuda(needed) {
  return needed.some((n) => /^libtorch_cuda\.so/.test(n));
}

/** The DT_NEEDED names in `readelf -d` output. */
export function parseNeeded(readelfOutput) {
  return [...String(readelfOutput).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

/**
 * Where a libtorch's version macros may be, in the order to look: PyTorch 2.9+ keeps them in
 * torch/headeronly/version.h (its api's torch/version.h only includes that file); 1.x and early 2.x in
 * torch/csrc/api/include/torch/version.h.
 */
export function versionHeaderPaths(includeDir, { sep = '/' } = {}) {
  const at = (...parts) => [includeDir.replace(/[\\/]+$/, ''), ...parts].join(sep);
  return [at('torch', 'headeronly', 'version.h'), at('torch', 'csrc', 'api', 'include', 'torch', 'version.h'), at('torch', 'version.h')];
}

/** A version from torch's version.h (TORCH_VERSION_MAJOR/MINOR/PATCH), or null. */
export function versionFromHeader(text) {
  const get = (k) => new RegExp(`#define\\s+TORCH_VERSION_${k}\\s+(\\d+)`).exec(text)?.[1];
  const [a, b, c] = [get('MAJOR'), get('MINOR'), get('PATCH')];
  return a && b ? `${a}.${b}.${c ?? 0}` : null;
}

/** `__version__` from a Python package's version.py, or null. */
export function versionFromPy(text) {
  return /^__version__\s*=\s*['"]([^'"]+)['"]/m.exec(text)?.[1] ?? null;
}

/**
 * Whether a torchvision library needs libtorch_python (a PyTorch wheel's does: it is built as a Python
 * extension). libtorch_python leaves Python's own symbols to the process, so outside Python the
 * library loads only after libpython has been loaded with its symbols global.
 */
export function needsLibpython(needed) {
  return needed.some((n) => /^libtorch_python\.so/.test(n));
}

/**
 * The libraries of the binding's libtorch folder that a torchvision library needs and the binding does
 * not load itself, dependencies first: a wheel's torchvision needs libtorch.so and libtorch_python.so,
 * which the binding does not link, and neither torchvision nor libtorch_python carries a run path to
 * them (Python has imported torch before torchvision there). The dynamic loader would otherwise look
 * for them in the system's folders, and find nothing (the GPU machines) or another installation's
 * libtorch (Debian's, here): a second libtorch in the process.
 *   rootNeeded: torchvision's DT_NEEDED names; bindingNeeded: the binding's;
 *   libDirFiles: the file names in the libtorch folder; neededOf(name): a library's DT_NEEDED names there.
 */
export function torchLibraryPreloads(rootNeeded, bindingNeeded, libDirFiles, neededOf) {
  const inDir = new Set(libDirFiles);
  const loaded = new Set();
  const markLoaded = (name) => {
    if (!inDir.has(name) || loaded.has(name)) return;
    loaded.add(name);
    for (const n of neededOf(name)) markLoaded(n);
  };
  for (const n of bindingNeeded) markLoaded(n);
  const order = [];
  const seen = new Set();
  const visit = (name) => {
    if (!inDir.has(name) || loaded.has(name) || seen.has(name)) return;
    seen.add(name);
    for (const n of neededOf(name)) visit(n);
    order.push(name);
  };
  for (const n of rootNeeded) visit(n);
  return order;
}
