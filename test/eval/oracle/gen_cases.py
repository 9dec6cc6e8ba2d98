"""Generates the randomized oracle cases in test/fixtures/eval/oracle/ and their expected results.

Each case is a directory with gt.csv, det.csv, excluded.csv, labelmap.pbtxt, options.json and
expected.json (from ava_oracle.py). Inputs are built to hit the rules where implementations differ:
equal scores (ties in numpy's argsort and in the per-frame heap), boxes on a coarse grid (IoU exactly
at 0.5, equal IoUs, duplicate boxes), degenerate boxes, frames with more than 50 detections, classes
outside the label map, excluded frames, detections on frames without ground truth, `0902`-style
timestamps, and several videos.

Run from the repository root:  /usr/bin/python3 test/eval/oracle/gen_cases.py
"""
import json
import os
import random
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
import ava_oracle  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "eval", "oracle")
AVA_LABELS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "fixtures", "ava",
                          "ava_action_list_v2.1_for_activitynet_2018.pbtxt")


def fmt(x):
    return repr(round(x, 6)) if isinstance(x, float) else str(x)


def rand_box(rng, grid):
    if rng.random() < 0.05:  # degenerate: zero or negative width/height
        x1 = rng.choice(grid)
        y1 = rng.choice(grid)
        return (x1, y1, x1 if rng.random() < 0.5 else max(0.0, x1 - 0.1), rng.choice(grid))
    x1, x2 = sorted(rng.sample(grid, 2))
    y1, y2 = sorted(rng.sample(grid, 2))
    return (x1, y1, x2, y2)


def jitter(rng, box, grid):
    if rng.random() < 0.4:
        return box  # exact duplicate of a ground-truth box
    x1, y1, x2, y2 = box
    step = grid[1] - grid[0]
    d = lambda: rng.choice([-step, 0, 0, step])
    return (round(x1 + d(), 6), round(y1 + d(), 6), round(x2 + d(), 6), round(y2 + d(), 6))


def ts_text(rng, t):
    return rng.choice(["%d" % t, "%04d" % t, "%05d" % t])


def make_case(rng, name, spec):
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    class_ids = spec["class_ids"]
    used_ids = class_ids + spec.get("extra_ids", [])
    grid = [round(i * spec["grid"], 6) for i in range(int(round(1 / spec["grid"])) + 1)]
    score_levels = spec["score_levels"]
    gt_rows, det_rows, excl = [], [], []
    gt_frames = []
    for v in range(spec["videos"]):
        vid = "vid%02d_%s" % (v, rng.choice(["a", "b", "c"]))
        for t in rng.sample(range(900, 960), spec["frames_per_video"]):
            gt_frames.append((vid, t))
            n_people = rng.randint(1, spec["max_people"])
            people = []
            for p in range(n_people):
                box = rand_box(rng, grid)
                if box[0] >= box[2] or box[1] >= box[3]:
                    box = (0.1, 0.1, 0.5, 0.5)
                labels = rng.sample(used_ids, rng.randint(1, min(3, len(used_ids))))
                pid = rng.choice([p, p, 0]) if spec.get("person_ties") else p
                for a in labels:
                    row = [vid, ts_text(rng, t)] + [fmt(c) for c in box] + [str(a)]
                    if not spec.get("gt7"):
                        row.append(str(pid))
                    gt_rows.append(row)
                people.append((box, labels))
            if rng.random() < spec.get("excluded", 0.0):
                excl.append([vid, ts_text(rng, t)])
            # detections for this frame
            n_det = rng.randint(0, spec["max_det"])
            for _ in range(n_det):
                if people and rng.random() < 0.7:
                    box, labels = rng.choice(people)
                    box = jitter(rng, box, grid)
                    a = rng.choice(labels) if rng.random() < 0.6 else rng.choice(used_ids)
                else:
                    box = rand_box(rng, grid)
                    a = rng.choice(used_ids)
                s = rng.choice(score_levels) if score_levels else round(rng.random(), 4)
                det_rows.append([vid, ts_text(rng, t)] + [fmt(c) for c in box] + [str(a), fmt(s)])
        # detections on frames without any ground truth
        for t in rng.sample(range(960, 990), spec.get("fp_frames", 0)):
            for _ in range(rng.randint(1, 4)):
                box = rand_box(rng, grid)
                det_rows.append([vid, ts_text(rng, t)] + [fmt(c) for c in box] + [str(rng.choice(used_ids)), fmt(rng.choice(score_levels or [0.5]))])
    # a detection-only video
    if spec.get("det_only_video"):
        for t in range(900, 903):
            box = rand_box(rng, grid)
            det_rows.append(["zz_detonly", str(t)] + [fmt(c) for c in box] + [str(rng.choice(used_ids)), "0.9"])
    if spec.get("shuffle", True):
        rng.shuffle(det_rows)
    write_csv(os.path.join(d, "gt.csv"), gt_rows)
    write_csv(os.path.join(d, "det.csv"), det_rows)
    write_csv(os.path.join(d, "excluded.csv"), excl)
    if spec.get("ava_labels"):
        shutil.copyfile(AVA_LABELS, os.path.join(d, "labelmap.pbtxt"))
    else:
        with open(os.path.join(d, "labelmap.pbtxt"), "w") as f:
            for c in class_ids:
                f.write('item {\n  name: "class %d"\n  id: %d\n}\n' % (c, c))
    options = {"maxPerFrame": spec.get("max_per_frame", 50), "scoreThreshold": spec.get("score_thr")}
    with open(os.path.join(d, "options.json"), "w") as f:
        json.dump(options, f)
    classes = ava_oracle.read_labelmap_lines(os.path.join(d, "labelmap.pbtxt"))
    excluded = set(ava_oracle.frame_key(r[0], r[1]) for r in excl)
    gt_in = ava_oracle.read_rows(os.path.join(d, "gt.csv"))
    det_in = ava_oracle.read_rows(os.path.join(d, "det.csv"))
    expected = ava_oracle.evaluate_all(gt_in, det_in, classes, excluded,
                                       max_per_frame=options["maxPerFrame"], score_thr=options["scoreThreshold"])
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


def write_csv(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(",".join(r) + "\n")


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)
    rng = random.Random(20261128)
    base = dict(class_ids=[1, 2, 3, 5, 8], extra_ids=[4, 9], grid=0.1, score_levels=[0.2, 0.3, 0.5, 0.5, 0.7, 0.9],
                videos=2, frames_per_video=6, max_people=3, max_det=12, excluded=0.15, fp_frames=2)
    cases = []
    for i in range(12):
        cases.append(dict(base))
    cases.append(dict(base, score_levels=None, grid=0.05))                      # few ties
    cases.append(dict(base, max_det=90, frames_per_video=4))                    # > 50 detections per frame
    cases.append(dict(base, max_det=90, frames_per_video=4, max_per_frame=0))   # cap lifted
    cases.append(dict(base, max_det=30, max_per_frame=7))                       # small cap, heap ties
    cases.append(dict(base, score_thr=0.3))                                     # score threshold
    cases.append(dict(base, gt7=True, det_only_video=True))                     # 7-column ground truth
    cases.append(dict(base, person_ties=True, max_people=5, grid=0.25))         # equal IoUs, tied person ids
    cases.append(dict(base, score_levels=[0.5], max_det=20))                    # all scores equal
    cases.append(dict(base, videos=4, frames_per_video=25, max_det=20, class_ids=[1, 2], extra_ids=[3],
                      score_levels=[0.1, 0.4, 0.4, 0.6, 0.8]))                  # long per-class lists (introsort)
    cases.append(dict(base, videos=3, frames_per_video=20, max_people=4, max_det=40, class_ids=[3, 11, 12, 80],
                      extra_ids=[2, 81], ava_labels=True, grid=0.1))            # the real AVA label map
    for i, spec in enumerate(cases):
        make_case(rng, "case%02d" % (i + 1), spec)
    print("wrote %d cases to %s" % (len(cases), os.path.normpath(ROOT)))


if __name__ == "__main__":
    main()
