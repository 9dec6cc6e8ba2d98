#!/usr/bin/python3
"""SlowFast / SlowOnly ResNet3d with the AVA RoI head, in plain PyTorch: the reference stad is measured
against (bench/model) and whose parameter names and counts stad's model must reproduce.

The architecture follows mmaction2's SlowFast AVA config
(configs/detection/ava/slowfast_kinetics400-pretrained-r50_8xb8-8x8x1-20e_ava21-rgb.py): written here from
that description, without mmcv, and with module attributes named so that `state_dict()` keys are exactly
mmaction2's (`backbone.slow_path.conv1.conv.weight`, `...layer1.0.conv1.bn.running_mean`,
`backbone.slow_path.conv1_lateral.conv.weight`, `roi_head.bbox_head.fc_cls.weight`, ...).

    /usr/bin/python3 bench/reference/slowfast.py            # parameter counts (81 and 7 classes)
    /usr/bin/python3 bench/reference/slowfast.py --names    # also every state-dict name and shape

SlowFast R50 8x8x1: input [N, 3, 32, H, W]; slow pathway takes every 4th frame (resample_rate 4), fast
every frame (speed_ratio alpha 4); channel_ratio 8 (fast base 8 channels); conv1 1x7x7 (slow) / 5x7x7
(fast), spatial stride 2, then a 1x3x3 max pool of stride 2; bottlenecks with a 3x1x1 first conv in res4,
res5 (slow) and every stage (fast); spatial strides (1, 2, 2, 1); lateral fast->slow convs
C -> 2C, kernel (7,1,1), stride (4,1,1), no bias, after pool1, res2, res3, res4. RoI head: per-pathway
temporal mean, concatenation (2048 + 256 = 2304), RoIAlign 8x8 at 1/16 (aligned, adaptive sampling),
dropout 0.5, spatial max pool, linear to num_classes.
"""
import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops import roi_align


# ReLUs in place, as mmcv's ConvModule and the residual sum do. train_step.py --relu-out-of-place turns
# this off to measure what in-place ReLU is worth (stad's binding has no relu_ yet).
INPLACE_RELU = True


class ConvModule(nn.Module):
    """conv -> (bn) -> (relu), attributes `conv` and `bn` as in mmcv's ConvModule."""

    def __init__(self, cin, cout, kernel, stride=1, padding=0, norm=True, act=True):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        if norm:
            self.bn = nn.BatchNorm3d(cout, eps=1e-5, momentum=0.1)
        self.act = act

    def forward(self, x):
        x = self.conv(x)
        if hasattr(self, "bn"):
            x = self.bn(x)
        return F.relu(x, inplace=INPLACE_RELU) if self.act else x


class Bottleneck3d(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, spatial_stride, inflate, downsample):
        super().__init__()
        # "pytorch" style: the spatial stride is on the 1x3x3 conv; inflation puts a 3x1x1 kernel on conv1.
        k1, p1 = ((3, 1, 1), (1, 0, 0)) if inflate else ((1, 1, 1), (0, 0, 0))
        self.conv1 = ConvModule(cin, planes, k1, 1, p1)
        self.conv2 = ConvModule(planes, planes, (1, 3, 3), (1, spatial_stride, spatial_stride), (0, 1, 1))
        self.conv3 = ConvModule(planes, planes * 4, 1, act=False)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(self.conv3(self.conv2(self.conv1(x))) + identity, inplace=INPLACE_RELU)


class BasicBlock3d(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, spatial_stride, inflate, downsample):
        super().__init__()
        k, p = ((3, 3, 3), (1, 1, 1)) if inflate else ((1, 3, 3), (0, 1, 1))
        self.conv1 = ConvModule(cin, planes, k, (1, spatial_stride, spatial_stride), p)
        self.conv2 = ConvModule(planes, planes, k, 1, p, act=False)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(self.conv2(self.conv1(x)) + identity, inplace=INPLACE_RELU)


STAGES = {18: (BasicBlock3d, (2, 2, 2, 2)), 50: (Bottleneck3d, (3, 4, 6, 3)), 101: (Bottleneck3d, (3, 4, 23, 3))}


class Pathway(nn.Module):
    """One ResNet3d pathway (mmaction2's ResNet3dPathway): conv1, maxpool, layer1-4, optional laterals."""

    def __init__(self, depth, base, conv1_kernel, inflate, spatial_strides, lateral_from=None, speed_ratio=4, channel_ratio=8, fusion_kernel=7):
        super().__init__()
        block, blocks = STAGES[depth]
        self.conv1 = ConvModule(3, base, conv1_kernel, (1, 2, 2), tuple((k - 1) // 2 for k in conv1_kernel))
        self.maxpool = nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1))
        self.lateral = lateral_from is not None
        inplanes = base
        for i, n in enumerate(blocks):
            planes = base * 2**i
            # A lateral connection concatenates 2 * C_fast channels, C_fast = inplanes / channel_ratio.
            lateral = inplanes * 2 // channel_ratio if self.lateral else 0
            cin = inplanes + lateral
            down = None
            if spatial_strides[i] != 1 or cin != planes * block.expansion:
                down = ConvModule(cin, planes * block.expansion, 1, (1, spatial_strides[i], spatial_strides[i]), act=False)
            layers = [block(cin, planes, spatial_strides[i], inflate[i], down)]
            layers += [block(planes * block.expansion, planes, 1, inflate[i], None) for _ in range(1, n)]
            self.add_module(f"layer{i + 1}", nn.Sequential(*layers))
            inplanes = planes * block.expansion
        if self.lateral:
            # Registered after the layers, as in mmaction2, so the state-dict order matches too.
            fast_channels = [base // channel_ratio] + [base * 2**i * block.expansion // channel_ratio for i in range(3)]
            for name, c in zip(["conv1_lateral", "layer1_lateral", "layer2_lateral", "layer3_lateral"], fast_channels):
                self.add_module(
                    name,
                    ConvModule(c, 2 * c, (fusion_kernel, 1, 1), (speed_ratio, 1, 1), ((fusion_kernel - 1) // 2, 0, 0), norm=False, act=False),
                )
        self.out_channels = inplanes


class ResNet3dSlowFast(nn.Module):
    def __init__(self, depth=50, width=1.0, resample_rate=4, speed_ratio=4, channel_ratio=8, fusion_kernel=7):
        super().__init__()
        base = int(round(64 * width))
        self.resample_rate, self.speed_ratio = resample_rate, speed_ratio
        strides = (1, 2, 2, 1)
        self.slow_path = Pathway(depth, base, (1, 7, 7), (0, 0, 1, 1), strides, lateral_from="fast", speed_ratio=speed_ratio, channel_ratio=channel_ratio, fusion_kernel=fusion_kernel)
        self.fast_path = Pathway(depth, base // channel_ratio, (5, 7, 7), (1, 1, 1, 1), strides)
        self.out_channels = (self.slow_path.out_channels, self.fast_path.out_channels)

    def forward(self, x):
        slow = x[:, :, :: self.resample_rate]  # = nearest interpolation by 1/resample_rate
        fast = x[:, :, :: self.resample_rate // self.speed_ratio]
        s, f = self.slow_path, self.fast_path
        slow = s.maxpool(s.conv1(slow))
        fast = f.maxpool(f.conv1(fast))
        slow = torch.cat([slow, s.conv1_lateral(fast)], 1)
        for i in range(1, 5):
            slow = getattr(s, f"layer{i}")(slow)
            fast = getattr(f, f"layer{i}")(fast)
            if i < 4:
                slow = torch.cat([slow, getattr(s, f"layer{i}_lateral")(fast)], 1)
        return slow, fast


class ResNet3dSlowOnly(Pathway):
    """SlowOnly 8x8 (resample_rate 8) or 4x16 (16): the slow pathway alone, without laterals."""

    def __init__(self, depth=50, width=1.0, resample_rate=8):
        super().__init__(depth, int(round(64 * width)), (1, 7, 7), (0, 0, 1, 1), (1, 2, 2, 1))
        self.resample_rate = resample_rate

    def forward(self, x):
        x = self.maxpool(self.conv1(x[:, :, :: self.resample_rate]))
        for i in range(1, 5):
            x = getattr(self, f"layer{i}")(x)
        return (x,)


class BBoxHeadAVA(nn.Module):
    def __init__(self, in_channels, num_classes, dropout=0.5):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.fc_cls = nn.Linear(in_channels, num_classes)

    def forward(self, roi_feats):  # [K, C, 8, 8]
        x = self.dropout(roi_feats)
        x = torch.amax(x, dim=(2, 3))  # spatial max pool
        return self.fc_cls(x)


class AVARoIHead(nn.Module):
    def __init__(self, in_channels, num_classes, output_size=8, spatial_scale=1 / 16):
        super().__init__()
        self.output_size, self.spatial_scale = output_size, spatial_scale
        self.bbox_head = BBoxHeadAVA(in_channels, num_classes)

    def forward(self, feats, rois):
        # Temporal average per pathway, then concatenate channels (mmaction2's SingleRoIExtractor3D).
        feat = torch.cat([f.mean(2) for f in feats], 1)
        if feat.dtype != rois.dtype:
            # under autocast: what torchvision's own autocast kernel does on CUDA (float32, then back),
            # which older torchvisions (Debian's 0.14) do not register for the CPU
            roi_feats = roi_align(feat.float(), rois.float(), self.output_size, self.spatial_scale, sampling_ratio=0, aligned=True).to(feat.dtype)
        else:
            roi_feats = roi_align(feat, rois, self.output_size, self.spatial_scale, sampling_ratio=0, aligned=True)
        return self.bbox_head(roi_feats)


class Detector(nn.Module):
    def __init__(self, arch="slowfast", depth=50, width=1.0, num_classes=81, fusion_kernel=7, channel_ratio=8, resample_rate=None):
        super().__init__()
        if arch == "slowfast":
            self.backbone = ResNet3dSlowFast(depth, width, channel_ratio=channel_ratio, fusion_kernel=fusion_kernel)
            channels = sum(self.backbone.out_channels)
        else:
            # resample_rate 1: the clip's frames are already the slow pathway's (stad's CPU presets)
            self.backbone = ResNet3dSlowOnly(depth, width, 8 if resample_rate is None else resample_rate)
            channels = self.backbone.out_channels
        self.roi_head = AVARoIHead(channels, num_classes)
        self.init_weights()

    def init_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.roi_head.bbox_head.fc_cls.weight, 0, 0.01)
        nn.init.zeros_(self.roi_head.bbox_head.fc_cls.bias)

    def forward(self, clips, rois):
        feats = self.backbone(clips)
        if not isinstance(feats, tuple):
            feats = (feats,)
        return self.roi_head(feats, rois)


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--names", action="store_true", help="print every state-dict name with its shape")
    ap.add_argument("--arch", choices=["slowfast", "slowonly"], default="slowfast")
    ap.add_argument("--depth", type=int, choices=sorted(STAGES), default=50)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--shapes", action="store_true", help="also run a 32x256x256 forward and print feature shapes")
    ap.add_argument("--spec", metavar="FILE", help="write {name: {dtype, shape}} of the --arch model (81 classes), in state-dict order, as JSON")
    args = ap.parse_args()
    counts = {}
    for arch in ("slowfast", "slowonly"):
        for classes in (81, 7):
            m = Detector(arch, args.depth, args.width, classes)
            counts[f"{arch}_r{args.depth}_{classes}_classes"] = parameter_count(m)
        counts[f"{arch}_r{args.depth}_backbone"] = parameter_count(Detector(arch, args.depth, args.width, 81).backbone)
    # Cross-check with a figure mmaction2 publishes: its Kinetics-400 SlowFast R50 4x16x1 recogniser
    # (fusion kernel 5, a 2304 -> 400 linear head) is listed with 34,479,288 parameters in
    # configs/recognition/slowfast/metafile.yml. Same backbone code, other fusion kernel and head:
    k400 = parameter_count(ResNet3dSlowFast(args.depth, args.width, fusion_kernel=5)) + 2304 * 400 + 400
    counts[f"mmaction2_k400_slowfast_r{args.depth}_4x16x1_equivalent"] = k400
    model = Detector(args.arch, args.depth, args.width, 81)
    sd = model.state_dict()
    if args.spec:
        dtypes = {torch.float32: "F32", torch.int64: "I64"}
        spec = {k: {"dtype": dtypes[v.dtype], "shape": list(v.shape)} for k, v in sd.items()}
        with open(args.spec, "w") as f:
            json.dump({"arch": args.arch, "depth": args.depth, "width": args.width, "num_classes": 81, "parameters": parameter_count(model), "tensors": spec}, f, separators=(",", ":"))
            f.write("\n")
    if args.names:
        for k, v in sd.items():
            print(f"{k} {list(v.shape)}")
    if args.shapes:
        model.eval()
        with torch.no_grad():
            feats = model.backbone(torch.zeros(1, 3, 32, 256, 256))
        print("feature shapes:", [list(f.shape) for f in feats])
    print(json.dumps({"width": args.width, "depth": args.depth, "state_dict_entries": len(sd), "parameters": counts}))


if __name__ == "__main__":
    main()
