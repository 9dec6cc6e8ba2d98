#!/usr/bin/python3
"""PyTorch side of `npm run bench -- binding`: the same measurements as stad's, in Python on the same
libtorch (Debian's python3-torch). Run with Debian's /usr/bin/python3.

  reference.py serve      answer one JSON command per stdin line with one JSON line on stdout, so that
                          the TypeScript benchmark can interleave stad and PyTorch on a shared machine
  reference.py overhead [--iters N] [--reps R]
  reference.py conv3d [--threads N] [--warmup W] [--reps R]
                          one-shot runs that print one JSON line (for running this side by hand)

Commands of `serve`:
  {"cmd": "info"}                                   -> {"torchVersion", "threads", "parallelInfo"}
  {"cmd": "threads", "n": N}                        -> {"threads": N}
  {"cmd": "overhead", "variant": V, "iters": N}     -> {"us", "cpuUs": wall-clock and CPU microseconds per call}
      V: "method" (z = a.add(b)), "operator" (z = a + b), "function" (z = torch.add(a, b))
  {"cmd": "conv3d", "reps": R}                      -> {"seconds", "cpuSeconds": [one per repetition]}
"""
import argparse
import json
import sys
import time

import torch

# The conv3d case of the benchmark: input 2x64x8x56x56 requiring grad, 3x3x3 kernel 64->64, padding 1,
# weight requiring grad, backward of a fixed upstream gradient. Must match bench/binding/index.ts.
CONV_INPUT = (2, 64, 8, 56, 56)
CONV_WEIGHT = (64, 64, 3, 3, 3)


def overhead(variant, iters):
    a = torch.rand(4)
    b = torch.rand(4)
    add = torch.add
    # Each loop rebinds z, so the previous result is freed inside the loop, like stad's dispose().
    # Wall-clock time is the figure; the process's CPU time is reported too because on a shared machine
    # it does not count the time this process waited for a core.
    if variant == "method":
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(iters):
            z = a.add(b)
        t1, c1 = time.perf_counter(), time.process_time()
    elif variant == "operator":
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(iters):
            z = a + b
        t1, c1 = time.perf_counter(), time.process_time()
    elif variant == "function":
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(iters):
            z = add(a, b)
        t1, c1 = time.perf_counter(), time.process_time()
    else:
        raise ValueError("unknown overhead variant " + repr(variant))
    del z
    return {"us": (t1 - t0) * 1e6 / iters, "cpuUs": (c1 - c0) * 1e6 / iters}


class Conv3dCase:
    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(CONV_INPUT, generator=g).requires_grad_(True)
        self.w = (torch.randn(CONV_WEIGHT, generator=g) * 0.05).requires_grad_(True)
        out_shape = (CONV_INPUT[0], CONV_WEIGHT[0]) + CONV_INPUT[2:]
        self.upstream = torch.randn(out_shape, generator=g)

    def step(self):
        y = torch.nn.functional.conv3d(self.x, self.w, padding=1)
        y.backward(self.upstream)
        # Clear the gradients so that every repetition does the same work (no accumulation).
        self.x.grad = None
        self.w.grad = None

    def run(self, reps):
        """Wall-clock and process CPU seconds (all threads) of each step."""
        seconds, cpu = [], []
        for _ in range(reps):
            c0, t0 = time.process_time(), time.perf_counter()
            self.step()
            t1, c1 = time.perf_counter(), time.process_time()
            seconds.append(t1 - t0)
            cpu.append(c1 - c0)
        return {"seconds": seconds, "cpuSeconds": cpu}


def info():
    return {
        "torchVersion": torch.__version__,
        "threads": torch.get_num_threads(),
        "parallelInfo": torch.__config__.parallel_info(),
        "python": sys.version.split()[0],
    }


def serve():
    conv = None
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            cmd = req.get("cmd")
            if cmd == "info":
                res = info()
            elif cmd == "threads":
                torch.set_num_threads(int(req["n"]))
                res = {"threads": torch.get_num_threads()}
            elif cmd == "overhead":
                res = overhead(req["variant"], int(req["iters"]))
            elif cmd == "conv3d":
                if conv is None:
                    conv = Conv3dCase()
                res = conv.run(int(req["reps"]))
            elif cmd == "quit":
                return
            else:
                res = {"error": "unknown command " + repr(cmd)}
        except Exception as e:  # reported to the TypeScript side, which fails with it
            res = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["serve", "overhead", "conv3d"])
    p.add_argument("--iters", type=int, default=100000)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=0, help="intra-op threads (default: leave libtorch's)")
    args = p.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.mode == "serve":
        serve()
    elif args.mode == "overhead":
        us = {v: median([overhead(v, args.iters)["us"] for _ in range(args.reps)]) for v in ("method", "operator", "function")}
        print(json.dumps({"overheadUs": us, **info()}))
    else:
        conv = Conv3dCase()
        conv.run(args.warmup)
        print(json.dumps({"medianSeconds": median(conv.run(args.reps)["seconds"]), **info()}))


if __name__ == "__main__":
    main()
