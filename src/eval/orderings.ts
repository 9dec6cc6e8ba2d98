/**
 * The two orderings of the official AVA evaluator whose tie-breaking decides the result when scores
 * are equal, reproduced step for step so that ties resolve exactly as they do there:
 *
 * 1. `numpyArgsort`: `np.argsort(x)` with numpy's default kind ('quicksort'), which is numpy's
 *    introsort for float64 (median-of-3 quicksort, insertion sort below 16 elements, heapsort past a
 *    depth of 2*floor(log2 n)), as in numpy/core/src/npysort/quicksort.cpp (`aquicksort_`) and
 *    npysort_heapsort.h (`aheapsort_`). It is not stable: which of two equal scores comes first
 *    depends on the algorithm, and `compute_precision_recall` reverses the result, so the order of
 *    tied true and false positives (and hence the AP) depends on it. Caveat: this is numpy's scalar
 *    algorithm, which numpy < 2.0 runs on CPUs without AVX-512 (checked bit for bit against numpy
 *    1.24 here, test/fixtures/eval/argsort.json). numpy >= 1.25 on AVX-512 CPUs and numpy >= 2.0 on
 *    AVX2 CPUs dispatch float64 argsort to x86-simd-sort, whose tie order differs, so the official
 *    evaluator itself gives slightly different APs under those numpy builds when a class has equal
 *    scores on a true and a false positive. Without ties every variant agrees.
 *
 * 2. `heapTopK`: the per-frame selection in `read_csv` of get_ava_performance.py: rows pushed on a
 *    Python `heapq` of tuples (score, action_id, y1, x1, y2, x2) in file order, a new row replacing
 *    the smallest tuple once the frame holds `capacity` rows and only if its score is strictly
 *    greater, then `sorted(heap, key=-score)` (stable, so ties keep the heap's array order). The heap
 *    operations follow CPython's `_siftdown`/`_siftup` exactly, because the array order they leave is
 *    the tie order.
 */

/** numpy's `less` for float64 (NaN sorts last); the quicksort loops inline it as `<` (no NaN there). */
function lessF64(a: number, b: number): boolean {
  return a < b || (b !== b && a === a);
}

const SMALL_QUICKSORT = 15;

function msb(n: number): number {
  let depth = 0;
  while ((n = Math.floor(n / 2)) > 0) depth++;
  return depth;
}

/** numpy's aheapsort_ inner loop: sift `tmp` down from 1-based position i of a heap of n (a[k] = idx[base + k]). */
function siftIntoHeap(v: Float64Array, idx: Int32Array, base: number, i: number, n: number, tmp: number): void {
  for (let j = i << 1; j <= n; ) {
    if (j < n && lessF64(v[idx[base + j]!]!, v[idx[base + j + 1]!]!)) j += 1;
    if (!lessF64(v[tmp]!, v[idx[base + j]!]!)) break;
    idx[base + i] = idx[base + j]!;
    i = j;
    j += j;
  }
  idx[base + i] = tmp;
}

/** Heapsort of idx[lo .. lo+n-1] by v, as numpy's aheapsort_ (1-based heap over the slice). */
function aheapsort(v: Float64Array, idx: Int32Array, lo: number, n: number): void {
  const base = lo - 1;
  for (let l = n >> 1; l > 0; --l) siftIntoHeap(v, idx, base, l, n, idx[base + l]!);
  for (; n > 1; ) {
    const tmp = idx[base + n]!;
    idx[base + n] = idx[base + 1]!;
    n -= 1;
    siftIntoHeap(v, idx, base, 1, n, tmp);
  }
}

const stackBuf = new Int32Array(256);

/**
 * `np.argsort(v)` (kind='quicksort', float64, scalar path) for NaN-free `v`: returns the
 * permutation, ascending. `out` may be passed to avoid an allocation (length >= v.length).
 */
export function numpyArgsort(v: Float64Array, out?: Int32Array): Int32Array {
  const num = v.length;
  const idx = out && out.length >= num ? out.subarray(0, num) : new Int32Array(num);
  for (let k = 0; k < num; k++) idx[k] = k;
  if (num < 2) return idx;
  for (let k = 0; k < num; k++) {
    // numpy's less() puts NaN last; with no NaN it is `<`, which the loops below use (scores are
    // checked finite when read, so a NaN here is a bug)
    if (v[k] !== v[k]) throw new Error('numpyArgsort: NaN in input');
  }
  const stack = stackBuf;
  let sp = 0;
  let pl = 0;
  let pr = num - 1;
  let cdepth = msb(num) * 2;
  let t: number;
  for (;;) {
    if (cdepth < 0) {
      aheapsort(v, idx, pl, pr - pl + 1);
    } else {
      while (pr - pl > SMALL_QUICKSORT) {
        const pm = pl + ((pr - pl) >> 1);
        if (v[idx[pm]!]! < v[idx[pl]!]!) {
          t = idx[pm]!;
          idx[pm] = idx[pl]!;
          idx[pl] = t;
        }
        if (v[idx[pr]!]! < v[idx[pm]!]!) {
          t = idx[pr]!;
          idx[pr] = idx[pm]!;
          idx[pm] = t;
        }
        if (v[idx[pm]!]! < v[idx[pl]!]!) {
          t = idx[pm]!;
          idx[pm] = idx[pl]!;
          idx[pl] = t;
        }
        const vp = v[idx[pm]!]!;
        let pi = pl;
        let pj = pr - 1;
        t = idx[pm]!;
        idx[pm] = idx[pj]!;
        idx[pj] = t;
        for (;;) {
          do ++pi;
          while (v[idx[pi]!]! < vp);
          do --pj;
          while (vp < v[idx[pj]!]!);
          if (pi >= pj) break;
          t = idx[pi]!;
          idx[pi] = idx[pj]!;
          idx[pj] = t;
        }
        const pk = pr - 1;
        t = idx[pi]!;
        idx[pi] = idx[pk]!;
        idx[pk] = t;
        if (pi - pl < pr - pi) {
          stack[sp++] = pi + 1;
          stack[sp++] = pr;
          stack[sp++] = --cdepth;
          pr = pi - 1;
        } else {
          stack[sp++] = pl;
          stack[sp++] = pi - 1;
          stack[sp++] = --cdepth;
          pl = pi + 1;
        }
      }
      for (let pi = pl + 1; pi <= pr; ++pi) {
        const vi = idx[pi]!;
        const vp = v[vi]!;
        let pj = pi;
        let pk = pi - 1;
        while (pj > pl && vp < v[idx[pk]!]!) idx[pj--] = idx[pk--]!;
        idx[pj] = vi;
      }
    }
    if (sp === 0) break;
    cdepth = stack[--sp]!;
    pr = stack[--sp]!;
    pl = stack[--sp]!;
  }
  return idx;
}

/** Column access for heapTopK: the tuple (score, action, y1, x1, y2, x2) of row r. */
export interface TupleColumns {
  readonly score: Float64Array;
  readonly action: Int32Array;
  readonly y1: Float64Array;
  readonly x1: Float64Array;
  readonly y2: Float64Array;
  readonly x2: Float64Array;
}

/** Python's `(score, action_id, y1, x1, y2, x2) < (...)` for rows a and b. */
function tupleLess(c: TupleColumns, a: number, b: number): boolean {
  let p = c.score[a]!;
  let q = c.score[b]!;
  if (p !== q) return p < q;
  p = c.action[a]!;
  q = c.action[b]!;
  if (p !== q) return p < q;
  p = c.y1[a]!;
  q = c.y1[b]!;
  if (p !== q) return p < q;
  p = c.x1[a]!;
  q = c.x1[b]!;
  if (p !== q) return p < q;
  p = c.y2[a]!;
  q = c.y2[b]!;
  if (p !== q) return p < q;
  return c.x2[a]! < c.x2[b]!;
}

/** CPython heapq._siftdown on heap[0..], moving heap[pos] up towards startpos. */
function siftdown(c: TupleColumns, heap: Int32Array, startpos: number, pos: number): void {
  const newitem = heap[pos]!;
  while (pos > startpos) {
    const parentpos = (pos - 1) >> 1;
    const parent = heap[parentpos]!;
    if (tupleLess(c, newitem, parent)) {
      heap[pos] = parent;
      pos = parentpos;
      continue;
    }
    break;
  }
  heap[pos] = newitem;
}

/** CPython heapq._siftup: bubble the smaller child up to a leaf, then siftdown. */
function siftup(c: TupleColumns, heap: Int32Array, endpos: number, pos: number): void {
  const startpos = pos;
  const newitem = heap[pos]!;
  let childpos = 2 * pos + 1;
  while (childpos < endpos) {
    const rightpos = childpos + 1;
    if (rightpos < endpos && !tupleLess(c, heap[childpos]!, heap[rightpos]!)) childpos = rightpos;
    heap[pos] = heap[childpos]!;
    pos = childpos;
    childpos = 2 * pos + 1;
  }
  heap[pos] = newitem;
  siftdown(c, heap, startpos, pos);
}

/**
 * Selects and orders the rows of one frame as get_ava_performance.py's read_csv does. `rows` are row
 * indices in file order; `capacity` < 1 keeps all. Writes the kept rows, highest score first (ties in
 * heap order), into `out` (length >= min(rows, capacity)) and returns how many.
 */
export function heapTopK(c: TupleColumns, rows: Int32Array, capacity: number, out: Int32Array): number {
  const heap = out;
  let size = 0;
  const n = rows.length;
  for (let k = 0; k < n; k++) {
    const r = rows[k]!;
    if (capacity < 1 || size < capacity) {
      heap[size] = r;
      siftdown(c, heap, 0, size);
      size++;
    } else if (c.score[r]! > c.score[heap[0]!]!) {
      heap[0] = r;
      siftup(c, heap, size, 0);
    }
  }
  // sorted(..., key=lambda t: -t[0]): stable by descending score
  if (size <= 64) {
    for (let i = 1; i < size; i++) {
      const r = heap[i]!;
      const s = c.score[r]!;
      let j = i - 1;
      while (j >= 0 && c.score[heap[j]!]! < s) {
        heap[j + 1] = heap[j]!;
        j--;
      }
      heap[j + 1] = r;
    }
  } else {
    const order = Array.from(heap.subarray(0, size), (r, pos) => ({ r, pos }));
    order.sort((a, b) => c.score[b.r]! - c.score[a.r]! || a.pos - b.pos);
    for (let i = 0; i < size; i++) heap[i] = order[i]!.r;
  }
  return size;
}
