#!/usr/bin/python3
"""Times training steps of the PyTorch reference detector (bench/reference/slowfast.py) on the CPU:
forward, binary cross-entropy on the RoI logits (background class dropped), backward, SGD step.
The model benchmark (bench/model) runs this beside stad's own step and reports the ratio.

    /usr/bin/python3 bench/reference/train_step.py --threads 2            # R50 8x8x1, batch 2, 32x224x224
    /usr/bin/python3 bench/reference/train_step.py --size 64 --steps 1    # a quick smoke check

Prints progress to stderr and ONE JSON line to stdout:
    {"clips_per_s": ..., "step_s": [...], "threads": N, "arch": ..., "batch": ..., "frames": ..., "size": ..., ...}
Inputs, boxes and targets are seeded; the timed steps follow `--warmup` untimed ones.

`--serve` is how bench/model interleaves this with stad's step in one run: the model is built once, a
JSON line {"ready": true, "parameters": ...} goes to stdout, then every line "step" read from stdin runs
one step and answers {"step_s": wall seconds, "cpu_s": process CPU seconds, "sys_s": the system part of them, "minflt": minor
page faults during the step, "loss": ...}; end of input
(or "quit") exits. bench/train sends "load PATH" (batches dumped from stad's loader, see load_batches) and
then "step I" to train on batch I of them. `--rois` takes the boxes as JSON [[batchIndex, x1, y1, x2, y2], ...] so that both
sides classify the same boxes.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slowfast  # noqa: E402
from slowfast import Detector, parameter_count  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=torch.get_num_threads(), help="intra-op threads (torch.set_num_threads)")
    ap.add_argument("--arch", choices=["slowfast", "slowonly"], default="slowfast")
    ap.add_argument("--depth", type=int, default=50)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--classes", type=int, default=81)
    ap.add_argument("--channel-ratio", type=int, default=8, help="1/beta: slow channels over fast channels")
    ap.add_argument("--fusion-kernel", type=int, default=7, help="temporal kernel of the lateral convs")
    ap.add_argument("--resample-rate", type=int, help="SlowOnly: take every n-th frame (default 8; stad's CPU presets: 1)")
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--weight-decay", type=float, default=1e-5)
    ap.add_argument("--grad-clip", type=float, help="clip the gradients' global L2 norm to this (as stad train's gradClip)")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--frames", type=int, default=32)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--boxes", type=int, default=2, help="RoIs per clip")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--channels-last", action="store_true", help="use torch.channels_last_3d for inputs and weights")
    ap.add_argument("--rois", help="the boxes as JSON [[batchIndex, x1, y1, x2, y2], ...] (default: --boxes random ones per clip)")
    ap.add_argument("--relu-out-of-place", action="store_true", help="ReLU out of place (as stad must without relu_), to measure what in-place saves")
    ap.add_argument("--serve", action="store_true", help="build once, then run one step per 'step' line on stdin (see above)")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (bench/gpu.sh)")
    ap.add_argument("--amp", choices=["none", "bf16"], default="none", help="bf16: the forward pass under torch.autocast(bfloat16), float32 weights and loss (as stad's amp: bf16)")
    ap.add_argument("--cudnn-benchmark", action="store_true", help="torch.backends.cudnn.benchmark = True")
    args = ap.parse_args()
    if args.threads < 1 or args.steps < 1 or args.batch < 1 or args.size < 16 or args.size % 16 != 0:
        ap.error("need threads >= 1, steps >= 1, batch >= 1 and a size that is a multiple of 16")

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    slowfast.INPLACE_RELU = not args.relu_out_of_place
    torch.manual_seed(0)
    model = Detector(args.arch, args.depth, args.width, args.classes, fusion_kernel=args.fusion_kernel, channel_ratio=args.channel_ratio, resample_rate=args.resample_rate)
    model.train()
    fmt = torch.channels_last_3d if args.channels_last else torch.contiguous_format
    model = model.to(device=device, memory_format=fmt)
    # mmaction2's AVA recipe: SGD lr 0.1 momentum 0.9 weight decay 1e-5.
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=args.lr, momentum=0.9, weight_decay=args.weight_decay)

    g = torch.Generator().manual_seed(1)
    clips = torch.randn(args.batch, 3, args.frames, args.size, args.size, generator=g).contiguous(memory_format=fmt)
    rois = []
    for b in range(args.batch):
        for k in range(args.boxes):
            x1, y1 = torch.rand(2, generator=g) * args.size * 0.5
            w, h = (torch.rand(2, generator=g) * 0.4 + 0.1) * args.size
            rois.append([b, float(x1), float(y1), float(x1 + w), float(y1 + h)])
    if args.rois:
        rois = json.loads(args.rois)
    rois = torch.tensor(rois, dtype=torch.float32)
    targets = (torch.rand(len(rois), args.classes - 1, generator=g) < 0.2).float()
    clips, rois, targets = clips.to(device), rois.to(device), targets.to(device)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def step(batch=None):
        x, r, t = batch if batch is not None else (clips, rois, targets)
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.amp == "bf16"):
            logits = model(x, r)
        loss = F.binary_cross_entropy_with_logits(logits[:, 1:].float(), t)
        loss.backward()
        if args.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(params, args.grad_clip)
        opt.step()
        return float(loss)

    if args.serve:
        serve(step, parameter_count(model))
        return

    times = []
    for i in range(args.warmup + args.steps):
        sync()
        t0, c0, s0, f0 = time.perf_counter(), time.process_time(), os.times().system, resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        loss = step()
        sync()
        dt = time.perf_counter() - t0
        cpu, system, minflt = time.process_time() - c0, os.times().system - s0, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
        timed = i >= args.warmup
        if timed:
            times.append(dt)
        print(
            f"step {i + 1}/{args.warmup + args.steps}{'' if timed else ' (warm-up)'}: {dt:.2f} s, {cpu:.2f} s CPU ({system:.2f} system), "
            f"{minflt} minor faults, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB, loss {loss:.4f}",
            file=sys.stderr,
            flush=True,
        )

    mean = sum(times) / len(times)
    print(
        json.dumps(
            {
                "clips_per_s": args.batch / mean,
                "step_s": times,
                "mean_step_s": mean,
                "threads": args.threads,
                "arch": args.arch,
                "depth": args.depth,
                "width": args.width,
                "classes": args.classes,
                "batch": args.batch,
                "frames": args.frames,
                "size": args.size,
                "boxes_per_clip": args.boxes,
                "channels_last": args.channels_last,
                "relu_in_place": not args.relu_out_of_place,
                "device": args.device,
                "amp": args.amp,
                "parameters": parameter_count(model),
                "torch": torch.__version__,
            }
        )
    )


def load_batches(path):
    """Batches written by bench/train: PATH.json lists, per batch, {name: [byte offset, shape]} for
    clips [N, 3, T, H, W], rois [K, 5] and targets [K, C - 1], all float32 little-endian in PATH."""
    with open(path + ".json") as f:
        index = json.load(f)
    with open(path, "rb") as f:
        data = bytearray(f.read())
    whole = torch.frombuffer(data, dtype=torch.float32)

    def view(offset, shape):
        n = 1
        for d in shape:
            n *= d
        return whole[offset // 4 : offset // 4 + n].view(shape).clone()

    return [tuple(view(*b[k]) for k in ("clips", "rois", "targets")) for b in index]


def serve(step, parameters):
    print(json.dumps({"ready": True, "parameters": parameters, "threads": torch.get_num_threads(), "torch": torch.__version__}), flush=True)
    batches = []
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "quit":
            break
        if cmd == "load":
            # "load PATH": replace the batches (outside any timing); "step I" then trains on batch I
            batches = load_batches(arg)
            print(json.dumps({"loaded": len(batches)}), flush=True)
            continue
        if cmd != "step" or (arg and not (arg.isdigit() and int(arg) < len(batches))):
            print(json.dumps({"error": f"bad command {line.strip()!r}"}), flush=True)
            continue
        batch = batches[int(arg)] if arg else None
        t0, c0, s0, f0 = time.perf_counter(), time.process_time(), os.times().system, resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        loss = step(batch)
        minflt = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
        print(json.dumps({"step_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, "sys_s": os.times().system - s0, "minflt": minflt, "loss": loss}), flush=True)


if __name__ == "__main__":
    main()
