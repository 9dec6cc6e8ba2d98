/**
 * Where a process's resident memory is, for the soak benchmarks (issue #12): RSS alone says that memory
 * moved, not whose it was. This splits it by owner as far as the kernel and V8 can tell:
 *  - V8 (process.memoryUsage(): the main isolate's heap, and the external / ArrayBuffer bytes it counts);
 *  - glibc's main arena (the `[heap]` mapping: brk memory, libtorch's tensors once the binding has
 *    turned mmap off), every other anonymous mapping (thread arenas, V8's pages, the isolates of worker
 *    threads, SharedArrayBuffers, thread stacks), and file-backed pages (the libraries' code).
 * Linux only (/proc/self/smaps); elsewhere the mapping split is null and only V8's figures are given.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';

const MB = 2 ** 20;

export interface ProcessMemory {
  /** Resident set, MB. */
  rssMB: number;
  /** V8's main-isolate heap: reserved (heapTotal) and in use (heapUsed), MB. */
  heapTotalMB: number;
  heapUsedMB: number;
  /** Of heapTotal: V8's new space (the young generation, which V8 resizes) and the large-object space, MB. */
  newSpaceMB: number;
  largeObjectMB: number;
  /** Memory of C++ objects bound to JS objects that V8 knows of (Buffers, ArrayBuffers), MB. */
  externalMB: number;
  arrayBuffersMB: number;
  /** Resident pages by mapping kind, MB (null where /proc/self/smaps is not readable). */
  maps: { brkHeapMB: number; anonMB: number; fileMB: number; anonMappings: number } | null;
}

/** The resident split of /proc/self/smaps; null off Linux. */
function mappings(): ProcessMemory['maps'] {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'latin1');
  } catch {
    return null;
  }
  let brkHeap = 0;
  let anon = 0;
  let file = 0;
  let anonMappings = 0;
  let kind: 'heap' | 'anon' | 'file' = 'anon';
  for (const line of text.split('\n')) {
    // a mapping's header: "start-end perms offset dev inode [path]"; its fields follow as "Name: value kB"
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (header) {
      const [, inode, path] = header;
      kind = path === '[heap]' ? 'heap' : inode !== '0' ? 'file' : 'anon';
      if (kind === 'anon') anonMappings++;
      continue;
    }
    if (line.startsWith('Rss:')) {
      const kB = Number(line.slice(4).trim().split(/\s+/)[0]);
      if (kind === 'heap') brkHeap += kB;
      else if (kind === 'file') file += kB;
      else anon += kB;
    }
  }
  return { brkHeapMB: brkHeap / 1024, anonMB: anon / 1024, fileMB: file / 1024, anonMappings };
}

/** A sample of the process's memory (cost: one read of /proc/self/smaps, a few ms). */
export function processMemory(): ProcessMemory {
  const m = process.memoryUsage();
  const spaces = new Map(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size / MB]));
  return {
    rssMB: m.rss / MB,
    heapTotalMB: m.heapTotal / MB,
    heapUsedMB: m.heapUsed / MB,
    newSpaceMB: spaces.get('new_space') ?? 0,
    largeObjectMB: (spaces.get('large_object_space') ?? 0) + (spaces.get('new_large_object_space') ?? 0),
    externalMB: m.external / MB,
    arrayBuffersMB: m.arrayBuffers / MB,
    maps: mappings(),
  };
}
