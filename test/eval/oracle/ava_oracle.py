"""Test oracle: AVA frame mAP as ActivityNet's get_ava_performance.py computes it.

Written for this project's tests from a reading of the official evaluator (ActivityNet
Evaluation/get_ava_performance.py and its ava/ package: object_detection_evaluation.py,
per_image_evaluation.py, metrics.py, np_box_ops.py), which cannot be installed here. It uses the
same primitives whose behaviour decides ties -- Python's heapq and sorted(), numpy's argsort,
argmax, sum and nanmean -- so that the TypeScript evaluator is checked against the real thing on
exactly those points, not against a second port of them.

Extensions mirrored from `stad eval`: `max_per_frame` (the official 50; 0 = no cap) and
`score_thr` (detections scoring below it are dropped as if absent from the file).

Usage: /usr/bin/python3 ava_oracle.py [--pooled-only] [--max-per-frame N] [--score-thr X]
           GT DET LABELMAP [EXCLUDED] -> JSON on stdout.
"""
import csv
import heapq
import json
import sys
from collections import OrderedDict

import numpy as np


def frame_key(video_id, timestamp):
    return "%s,%04d" % (video_id, int(timestamp))


def read_labelmap_lines(path):
    """The official reader: `  name:` then `  id:` lines (multi-line layout only)."""
    classes = []
    name = ""
    with open(path) as f:
        for line in f:
            if line.startswith("  name:"):
                name = line.split('"')[1]
            elif line.startswith("  id:") or line.startswith("  label_id:"):
                classes.append((int(line.strip().split(" ")[-1]), name))
    return classes


def read_rows(path):
    with open(path) as f:
        return [row for row in csv.reader(f)]


def select_per_frame(rows, class_ids, capacity, score_thr=None):
    """read_csv: per frame a heap of (score, action, y1, x1, y2, x2), then sorted by -score."""
    entries = OrderedDict()
    for row in rows:
        key = frame_key(row[0], row[1])
        x1, y1, x2, y2 = [float(v) for v in row[2:6]]
        action = int(row[6])
        if action not in class_ids:
            continue
        score = float(row[7]) if len(row) == 8 else 1.0
        if score_thr is not None and score < score_thr:
            continue
        heap = entries.setdefault(key, [])
        if capacity < 1 or len(heap) < capacity:
            heapq.heappush(heap, (score, action, y1, x1, y2, x2))
        elif score > heap[0][0]:
            heapq.heapreplace(heap, (score, action, y1, x1, y2, x2))
    out = OrderedDict()
    for key, heap in entries.items():
        out[key] = sorted(heap, key=lambda t: -t[0])
    return out


def iou_matrix(a, b):
    """[N,4] x [M,4] boxes as [y1, x1, y2, x2]; no +1 in the areas."""
    ay1, ax1, ay2, ax2 = np.split(a, 4, axis=1)
    by1, bx1, by2, bx2 = np.split(b, 4, axis=1)
    h = np.maximum(np.zeros((a.shape[0], b.shape[0])), np.minimum(ay2, by2.T) - np.maximum(ay1, by1.T))
    w = np.maximum(np.zeros((a.shape[0], b.shape[0])), np.minimum(ax2, bx2.T) - np.maximum(ax1, bx1.T))
    inter = h * w
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        return inter / (np.expand_dims(area_a, 1) + np.expand_dims(area_b, 0) - inter)


def average_precision(scores, tp, num_gt):
    order = np.argsort(scores)[::-1]
    tp = tp.astype(int)[order]
    ctp = np.cumsum(tp)
    cfp = np.cumsum(1 - tp)
    precision = ctp.astype(float) / (ctp + cfp)
    recall = ctp.astype(float) / num_gt
    if not precision.size:
        return 0.0
    recall = np.concatenate([[0], recall, [1]])
    precision = np.concatenate([[0], precision, [0]])
    for i in range(len(precision) - 2, -1, -1):
        precision[i] = np.maximum(precision[i], precision[i + 1])
    idx = np.where(recall[1:] != recall[:-1])[0] + 1
    return float(np.sum((recall[idx] - recall[idx - 1]) * precision[idx]))


def evaluate(gt_rows, det_rows, classes, excluded, max_per_frame=50, score_thr=None, iou_thr=0.5):
    class_ids = set(c for c, _ in classes)
    num_class = max(class_ids)
    gt = select_per_frame(gt_rows, class_ids, 0)
    det = select_per_frame(det_rows, class_ids, max_per_frame, score_thr)

    gt_boxes, gt_labels = {}, {}
    num_gt = np.zeros(num_class, dtype=int)
    for key, items in gt.items():
        if key in excluded:
            continue
        gt_boxes[key] = np.array([t[2:6] for t in items], dtype=float)
        gt_labels[key] = np.array([t[1] for t in items], dtype=int) - 1
        for c in range(num_class):
            num_gt[c] += np.sum(gt_labels[key] == c)

    scores_per_class = [[] for _ in range(num_class)]
    tp_per_class = [[] for _ in range(num_class)]
    for key, items in det.items():
        if key in excluded:
            continue
        boxes = np.array([t[2:6] for t in items], dtype=float).reshape(-1, 4)
        scores = np.array([t[0] for t in items], dtype=float)
        labels = np.array([t[1] for t in items], dtype=int) - 1
        valid = np.logical_and(boxes[:, 0] < boxes[:, 2], boxes[:, 1] < boxes[:, 3])
        boxes, scores, labels = boxes[valid], scores[valid], labels[valid]
        g_boxes = gt_boxes.get(key, np.empty((0, 4), dtype=float))
        g_labels = gt_labels.get(key, np.array([], dtype=int))
        for c in range(num_class):
            d = boxes[labels == c]
            if d.size == 0:
                continue
            s = scores[labels == c]
            g = g_boxes[g_labels == c]
            tp = np.zeros(d.shape[0], dtype=bool)
            if g.size > 0:
                iou = iou_matrix(d, g)
                best = np.argmax(iou, axis=1)
                taken = np.zeros(g.shape[0], dtype=bool)
                for i in range(d.shape[0]):
                    j = best[i]
                    if iou[i, j] >= iou_thr and not taken[j]:
                        tp[i] = True
                        taken[j] = True
            scores_per_class[c].append(s)
            tp_per_class[c].append(tp)

    ap = np.full(num_class, np.nan)
    for c in range(num_class):
        if num_gt[c] == 0:
            continue
        if scores_per_class[c]:
            s = np.concatenate(scores_per_class[c])
            t = np.concatenate(tp_per_class[c])
        else:
            s = np.array([], dtype=float)
            t = np.array([], dtype=bool)
        ap[c] = average_precision(s, t, num_gt[c])
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = np.nanmean(ap)
    keyframes = len(gt_boxes)
    as_json = lambda v: None if np.isnan(v) else float(v)
    return {
        "mAP": as_json(m),
        "perClass": OrderedDict((name, as_json(ap[cid - 1])) for cid, name in classes),
        "keyframes": keyframes,
    }


def evaluate_all(gt_rows, det_rows, classes, excluded, **kw):
    pooled = evaluate(gt_rows, det_rows, classes, excluded, **kw)
    videos = []
    for row in gt_rows:
        if row[0] not in videos:
            videos.append(row[0])
    per_video = []
    for v in videos:
        r = evaluate([x for x in gt_rows if x[0] == v], [x for x in det_rows if x[0] == v], classes, excluded, **kw)
        r["video"] = v
        per_video.append(r)
    maps = [r["mAP"] for r in per_video if r["mAP"] is not None]
    pooled["allMAP"] = float(np.mean(maps)) if maps else None
    pooled["perVideo"] = per_video
    return pooled


def main(argv):
    args = list(argv[1:])
    pooled_only = False
    kw = {}
    while args and args[0].startswith("--"):
        flag = args.pop(0)
        if flag == "--pooled-only":
            pooled_only = True
        elif flag == "--max-per-frame":
            kw["max_per_frame"] = int(args.pop(0))
        elif flag == "--score-thr":
            kw["score_thr"] = float(args.pop(0))
        else:
            raise SystemExit("unknown flag " + flag)
    gt_rows = read_rows(args[0])
    det_rows = read_rows(args[1])
    classes = read_labelmap_lines(args[2])
    excluded = set()
    if len(args) > 3:
        excluded = set(frame_key(r[0], r[1]) for r in read_rows(args[3]))
    run = evaluate if pooled_only else evaluate_all
    json.dump(run(gt_rows, det_rows, classes, excluded, **kw), sys.stdout, indent=1)


if __name__ == "__main__":
    main(sys.argv)
