// Types of torch-install.mjs (imported by the tests).
export interface TorchvisionCandidate {
  path: string;
  version: string | null;
  needed: string[];
}
export function majorMinor(version: string | null | undefined): { major: number; minor: number } | null;
export function torchvisionMinorFor(torchVersion: string): number | null;
export function torchvisionDirsFor(torch: { kind: 'python' | 'libtorch' | 'debian'; torchDir?: string }, o?: { sep?: string }): string[];
export function operatorLibraryName(fileNames: readonly string[]): string | null;
export function torchvisionMismatch(torchVersion: string, torchLibs: readonly string[], tv: TorchvisionCandidate): string | null;
export function chooseTorchvision(o: {
  torchVersion: string;
  torchLibs: readonly string[];
  override?: string;
  candidates: readonly TorchvisionCandidate[];
}): { path: string; note?: string } | { error: string };
export function cxxStandardFor(torchVersion: string): 17 | 20;
export function linksTorchCuda(needed: readonly string[]): boolean;
export function parseNeeded(readelfOutput: string): string[];
export function versionHeaderPaths(includeDir: string, o?: { sep?: string }): string[];
export function versionFromHeader(text: string): string | null;
export function versionFromPy(text: string): string | null;
export function needsLibpython(needed: readonly string[]): boolean;
export function torchLibraryPreloads(
  rootNeeded: readonly string[],
  bindingNeeded: readonly string[],
  libDirFiles: readonly string[],
  neededOf: (name: string) => readonly string[],
): string[];
