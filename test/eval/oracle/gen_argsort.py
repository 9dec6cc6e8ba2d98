"""Writes test/fixtures/eval/argsort.json: arrays with many equal values and numpy's np.argsort of
each (default kind, float64), to check src/eval/orderings.ts's port of numpy's introsort, including
inputs that drive it into its heapsort fallback.

Run from the repository root:  /usr/bin/python3 test/eval/oracle/gen_argsort.py
"""
import json
import os
import random

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "eval", "argsort.json")


def median_of_3_killer(n):
    # Musser's construction: makes median-of-3 quicksort degrade, so introsort switches to heapsort.
    k = n // 2
    a = [0] * n
    for i in range(1, k + 1):
        if i % 2 == 1:
            a[i - 1] = i
            a[i] = k + i
        a[k + i - 1] = 2 * i
    return [float(x) for x in a]


def main():
    rng = random.Random(7)
    cases = []
    for n in [0, 1, 2, 3, 15, 16, 17, 31, 33, 100, 257, 1000, 1500]:
        for levels in [1, 2, 3, 10, 1000]:
            cases.append([float(rng.randrange(levels)) / 10 for _ in range(n)])
    for n in [50, 500, 3000]:
        cases.append([float(i) for i in range(n)])
        cases.append([float(n - i) for i in range(n)])
        cases.append([float(min(i, n - i)) for i in range(n)])  # organ pipe
        cases.append([float(i % 7) for i in range(n)])  # sawtooth
        cases.append(median_of_3_killer(n))
    cases.append([0.5, -0.0, 0.0, 0.5, -0.0, 0.0] * 5)
    out = [{"values": c, "argsort": np.argsort(np.array(c, dtype=float)).tolist()} for c in cases]
    with open(OUT, "w") as f:
        json.dump(out, f)
    print("wrote %d arrays to %s" % (len(out), os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
