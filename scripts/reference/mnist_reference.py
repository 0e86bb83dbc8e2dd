#!/usr/bin/env python3
"""Plain-PyTorch re-implementation of deitjs's embedded MNIST main job (`npx deit-train`, no args), for issue #8.

It trains on the exact split that the TypeScript job uses (exported by export-mnist-split.mjs) and follows the TS
recipe detail by detail (sources in brackets):
  data      28x28 grey digits, zero-padded to 32x32 (apps/train/src/data-setup.ts pad 2); training: a random shift of
            -2..+2 px in x and y, independently and uniformly (packages/data/src/random-crop.ts randomShift: zero pad 2,
            crop 32x32 at top,left in 0..4); ToTensor + ImageNet Normalize per channel (normalize.ts); grey replicated
            to 3 channels (mnist.ts greyToRgb). --channels 1 keeps a single channel normalised with channel 0's
            mean/std (0.485/0.229), i.e. channel 0 of the TS input.
  loader    shuffled every epoch, batch 32, last partial batch dropped -> 31 updates per epoch.
  student   deit_mini_distilled_patch8_32 (packages/models/src/registry.ts): patch 8, dim 64, depth 4, 2 heads, MLP x4,
            qkv bias, LayerNorm eps 1e-6, exact GELU, pos_drop 0, drop path linspace(0, 0.1, depth) per block, each
            residual branch its own per-sample mask; heads on token 0 (cls) and 1 (dist).
            init: Linear trunc_normal(std .02, +-2 abs) + zero bias; LayerNorm 1/0; cls/dist/pos trunc_normal .02;
            patch conv PyTorch default (U(+-1/sqrt(fan_in)) for weight and bias).
  teacher   resnet_mnist (packages/teachers/src/registry.ts, resnet.ts): 3x3 stem C->16 (no bias) + BN + ReLU, one
            BasicBlock per stage 16/32/64, strides 1/2/2, 1x1 conv+BN shortcut where the shape changes, global average
            pool, fc. init: conv N(0, 2/fan_out) (fan_out = k*k*out), BN 1/0 but the last BN of each block 0
            (zero_init_last), fc PyTorch default.
  optimiser AdamW betas .9/.999 eps 1e-8, wd 0.05 on every tensor of rank >= 2 except pos_embed/cls_token/dist_token,
            no decay on biases and norms (packages/trainer/src/param-groups.ts).
  schedule  per update (train-run.ts lrStepping 'step'): warmup from 1e-6 linearly over warmup_epochs*31 updates
            (warmup = round(epochs/10)), then timm cosine measured from t=0 over epochs*31 updates to min 1e-5
            (lr-schedule.ts); --unscale-lr, so the peak is lr as given.
  loss      label-smoothing CE 0.1 on the cls head; hard distillation: 0.5*base + 0.5*CE(dist head, argmax of the
            teacher on the same augmented batch, teacher in eval mode); 'none': base loss on the cls head only
            (head_dist gets no gradient, as deit's DistillationLoss).
  eval      after the last epoch, eval mode, un-augmented test set, top-1 of the mean of both heads' logits.
  teacher stage: 30 epochs, lr 2e-3, no drop path, same smoothing/wd/schedule. Student stages: 60 epochs, lr 1e-3.
Paired: the distilled and baseline students are built from the same init seed and see the same batch order, shifts
and drop-path masks (all drawn from generators seeded by --seed, never from the teacher).

  soft      (--stage soft) 0.5*base + 0.5*tau^2*KL(teacher || dist head) at --tau (3), the KL summed and divided by B*C as
            deit's losses.py (--kd-norm deit) or by B (--kd-norm batchmean).
Usage: python3 mnist_reference.py --stage teacher|distilled|soft|baseline|all --seed 0 --channels 3 [--data /tmp/mnist-split]
       [--out /tmp/ref-runs] [--epoch-scale 1] [--lr-stepping step|epoch]
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
BATCH = 32


# ----------------------------------------------------------------------------------------------------------- data
def load_split(data_dir, seed, split):
    x = np.load(os.path.join(data_dir, f"seed{seed}-{split}-images.npy"))
    y = np.load(os.path.join(data_dir, f"seed{seed}-{split}-labels.npy"))
    assert x.shape[1:] == (28, 28) and x.dtype == np.uint8
    return x, y


def to_input(u8, channels, norm):
    """uint8 [N, H, W] -> normalised float [N, C, H, W] (ToTensor + Normalize), grey replicated to C channels."""
    x = torch.from_numpy(u8.astype(np.float32) / 255.0).unsqueeze(1)
    if norm == "mnist":
        mean, std = (0.1307,) * channels, (0.3081,) * channels
    elif channels == 3:
        mean, std = IMAGENET_MEAN, IMAGENET_STD
    else:
        mean, std = IMAGENET_MEAN[:1], IMAGENET_STD[:1]
    x = x.repeat(1, channels, 1, 1)
    m = torch.tensor(mean).view(1, -1, 1, 1)
    s = torch.tensor(std).view(1, -1, 1, 1)
    return (x - m) / s


class Loader:
    """Shuffled, shifted training batches; everything drawn from a numpy generator seeded by (seed, epoch)."""

    def __init__(self, train_u8, labels, channels, norm, shift, seed):
        padded = np.pad(train_u8, ((0, 0), (2, 2), (2, 2)))  # 28 -> 32 (data-setup.ts pad 2)
        self.big = np.pad(padded, ((0, 0), (shift, shift), (shift, shift)))  # randomShift's zero padding
        self.labels = torch.from_numpy(labels.astype(np.int64))
        self.n = len(labels)
        self.shift = shift
        self.channels, self.norm, self.seed = channels, norm, seed

    def batches_per_epoch(self):
        return self.n // BATCH

    def epoch(self, e):
        rng = np.random.default_rng([self.seed, 1000 + e])
        order = rng.permutation(self.n)
        offs = rng.integers(0, 2 * self.shift + 1, size=(self.n, 2))  # top, left in 0..2*shift
        for b in range(self.batches_per_epoch()):
            idx = order[b * BATCH:(b + 1) * BATCH]
            crops = np.stack([self.big[i, offs[i, 0]:offs[i, 0] + 32, offs[i, 1]:offs[i, 1] + 32] for i in idx])
            yield to_input(crops, self.channels, self.norm), self.labels[idx]


# ---------------------------------------------------------------------------------------------------------- student
def trunc_normal_(t, std=0.02):
    return nn.init.trunc_normal_(t, std=std, a=-2.0, b=2.0)


def drop_path(x, rate, training, gen):
    if rate == 0.0 or not training:
        return x
    keep = 1.0 - rate
    mask = (torch.rand(x.shape[0], generator=gen) < keep).to(x.dtype).div_(keep)
    return x * mask.view(-1, *([1] * (x.dim() - 1)))


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.hd = heads, dim // heads
        self.scale = self.hd ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, self.hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, rate):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, 4 * dim)
        self.rate = rate

    def forward(self, x, gen):
        x = x + drop_path(self.attn(self.norm1(x)), self.rate, self.training, gen)
        return x + drop_path(self.mlp(self.norm2(x)), self.rate, self.training, gen)


class DeiTDistilled(nn.Module):
    def __init__(self, in_chans=3, img=32, patch=8, dim=64, depth=4, heads=2, classes=10, drop_path_rate=0.1):
        super().__init__()
        n = (img // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, n + 2, dim))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.patch_embed = nn.Module()  # timm's key names: patch_embed.proj.*
        self.patch_embed.proj = nn.Conv2d(in_chans, dim, patch, patch)  # PyTorch default init = ours
        rates = [drop_path_rate * i / (depth - 1) for i in range(depth)]
        self.blocks = nn.ModuleList([Block(dim, heads, r) for r in rates])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)
        self.head_dist = nn.Linear(dim, classes)
        for t in (self.cls_token, self.pos_embed, self.dist_token):
            trunc_normal_(t)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x, gen=None, taps=None):
        b = x.shape[0]
        p = self.patch_embed.proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(b, -1, -1), self.dist_token.expand(b, -1, -1), p], 1) + self.pos_embed
        if taps is not None:
            taps.append(("pos_drop", x))
        for i, blk in enumerate(self.blocks):
            x = blk(x, gen)
            if taps is not None:
                taps.append((f"blocks.{i}", x))
        x = self.norm(x)
        if taps is not None:
            taps.append(("norm", x))
        return self.head(x[:, 0]), self.head_dist(x[:, 1])


@torch.no_grad()
def token_cosines(model, x):
    """cos(cls token, dist token) per layer, mean over images (what deit-eval analyze reports)."""
    model.eval()
    taps = []
    model(x, taps=taps)
    return {k: round(F.cosine_similarity(t[:, 0], t[:, 1], dim=-1).mean().item(), 3) for k, t in taps}


# ---------------------------------------------------------------------------------------------------------- teacher
class BasicBlock(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or cin != planes:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, 0, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNetMnist(nn.Module):
    def __init__(self, in_chans=3, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_chans, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = nn.Sequential(BasicBlock(16, 16, 1))  # timm/torchvision key names: layer1.0.*
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2))
        self.layer3 = nn.Sequential(BasicBlock(32, 64, 2))
        self.fc = nn.Linear(64, classes)  # PyTorch default init, as ours
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for blk in (self.layer1, self.layer2, self.layer3):
            nn.init.zeros_(blk[0].bn2.weight)

    def forward(self, x, gen=None):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.mean((2, 3)))


# ------------------------------------------------------------------------------------------------------- training
def param_groups(model, wd, pe_lr_mult=1.0):
    """timm's two AdamW groups; with pe_lr_mult != 1 the patch-embedding weight gets its own group at lr x pe_lr_mult."""
    skip = {"pos_embed", "cls_token", "dist_token"}
    decay, no_decay, pe = [], [], []
    for name, p in model.named_parameters():
        if name == "patch_embed.proj.weight" and pe_lr_mult != 1.0:
            pe.append(p)
        else:
            (no_decay if p.ndim <= 1 or name.endswith(".bias") or name in skip else decay).append(p)
    groups = [{"params": no_decay, "weight_decay": 0.0, "lr_mult": 1.0}, {"params": decay, "weight_decay": wd, "lr_mult": 1.0}]
    if pe:
        groups.append({"params": pe, "weight_decay": wd, "lr_mult": pe_lr_mult})
    return groups


def cosine_lr(t, lr, warmup_t, t_initial, warmup_lr=1e-6, min_lr=1e-5):
    if t < warmup_t:
        return warmup_lr + t * (lr - warmup_lr) / warmup_t
    if t >= t_initial:
        return min_lr
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * t / t_initial))


def smoothing_ce(logits, y, s=0.1):
    logp = F.log_softmax(logits, -1)
    nll = -logp.gather(1, y[:, None]).squeeze(1)
    return ((1 - s) * nll + s * (-logp.mean(-1))).mean()


@torch.no_grad()
def evaluate(model, x, y, distilled):
    model.eval()
    hits = {"mean": 0, "cls": 0, "dist": 0}
    for i in range(0, len(y), 48):
        out = model(x[i:i + 48])
        if distilled:
            cls, dist = out
            for k, z in (("mean", (cls + dist) / 2), ("cls", cls), ("dist", dist)):
                hits[k] += (z.argmax(1) == y[i:i + 48]).sum().item()
        else:
            hits["mean"] += (out.argmax(1) == y[i:i + 48]).sum().item()
    n = len(y)
    return {k: 100.0 * v / n for k, v in hits.items() if distilled or k == "mean"}


def train(stage, args, teacher=None):
    seed, ch = args.seed, args.channels
    tr_u8, tr_y = load_split(args.data, seed, "train")
    te_u8, te_y = load_split(args.data, seed, "test")
    test_x = to_input(np.pad(te_u8, ((0, 0), (2, 2), (2, 2))), ch, args.norm)
    test_y = torch.from_numpy(te_y.astype(np.int64))
    loader = Loader(tr_u8, tr_y, ch, args.norm, 2, seed)
    is_teacher = stage == "teacher"
    epochs = max(1, round((30 if is_teacher else 60) * args.epoch_scale))
    lr = (2e-3 if is_teacher else 1e-3) * args.lr_mult
    warmup_epochs = max(1, round(epochs / 10))
    torch.manual_seed(seed)  # same init for the distilled student and its baseline twin
    model = ResNetMnist(ch) if is_teacher else DeiTDistilled(ch, drop_path_rate=0.1)
    nparams = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(param_groups(model, 0.05, 1.0 if is_teacher else args.pe_lr_mult), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    gen = torch.Generator().manual_seed(10_000 + seed)  # drop-path masks: identical for both twins
    upe = loader.batches_per_epoch()
    update = 0
    t0 = time.time()
    log = []
    for e in range(epochs):
        model.train()
        tot, cnt = 0.0, 0
        for x, y in loader.epoch(e):
            t = update if args.lr_stepping == "step" else e
            scale = upe if args.lr_stepping == "step" else 1
            cur = cosine_lr(t, lr, warmup_epochs * scale, epochs * scale)
            for g in opt.param_groups:
                g["lr"] = cur * g["lr_mult"]
            if is_teacher:
                loss = smoothing_ce(model(x), y)
            else:
                cls, dist = model(x, gen)
                base = smoothing_ce(cls, y)
                if stage == "distilled":
                    with torch.no_grad():
                        t_lab = teacher(x).argmax(1)
                    loss = 0.5 * base + 0.5 * F.cross_entropy(dist, t_lab)
                elif stage == "soft":
                    with torch.no_grad():
                        z_t = teacher(x)
                    tau = args.tau
                    kl = F.kl_div(F.log_softmax(dist / tau, 1), F.log_softmax(z_t / tau, 1), reduction="sum", log_target=True)
                    # deit's losses.py divides the summed KL by B*C (numel); "batchmean" divides by B (textbook KL).
                    kd = kl * tau * tau / (dist.numel() if args.kd_norm == "deit" else dist.shape[0])
                    loss = 0.5 * base + 0.5 * kd
                else:
                    loss = base
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            update += 1
            tot += loss.item()
            cnt += 1
        rec = {"epoch": e, "loss": tot / cnt, "lr": cur}
        if (e + 1) % 10 == 0 or e + 1 == epochs:  # as the TS main job (evalEvery 10)
            rec["eval"] = evaluate(model, test_x, test_y, not is_teacher)
        log.append(rec)
        if args.verbose and "eval" in rec:
            print(json.dumps(rec), flush=True)
    secs = time.time() - t0
    res = {
        "stage": stage if stage != "soft" else f"soft-{args.kd_norm}", "seed": seed, "channels": ch, "norm": args.norm, "lr_stepping": args.lr_stepping,
        "lr_mult": args.lr_mult, "pe_lr_mult": args.pe_lr_mult, "epochs": epochs, "params": nparams, "seconds": round(secs, 1),
        "img_per_s": round(epochs * upe * BATCH / secs), "final": log[-1]["eval"], "train_loss_last": log[-1]["loss"],
        "curve": [[r["epoch"], round(r["loss"], 4), r["eval"]["mean"]] for r in log if "eval" in r],
    }
    if stage in ("distilled", "soft"):
        with torch.no_grad():
            teacher.eval()
            res["teacher_agreement_test"] = 100.0 * (model.eval()(test_x)[1].argmax(1) == teacher(test_x).argmax(1)).float().mean().item()
    if not is_teacher:
        res["cos_cls_dist"] = token_cosines(model, test_x[:500])
    return model, res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", choices=["teacher", "distilled", "soft", "baseline", "all"], default="all")
    ap.add_argument("--tau", type=float, default=3.0, help="soft stage: temperature")
    ap.add_argument("--kd-norm", choices=["deit", "batchmean"], default="deit", help="soft stage: KL / (B*C) as deit, or / B")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--channels", type=int, choices=[1, 3], default=3)
    ap.add_argument("--norm", choices=["imagenet", "mnist"], default="imagenet")
    ap.add_argument("--lr-stepping", choices=["step", "epoch"], default="step")
    ap.add_argument("--lr-mult", type=float, default=1.0, help="scale both peak learning rates (diagnostics)")
    ap.add_argument("--epoch-scale", type=float, default=1.0)
    ap.add_argument("--pe-lr-mult", type=float, default=1.0, help="students: scale the patch-embedding weight's lr (diagnostics)")
    ap.add_argument("--teacher-tag", default="", help="reuse the teacher saved under this tag (default: this run's tag)")
    ap.add_argument("--data", default="/tmp/mnist-split")
    ap.add_argument("--out", default="/tmp/ref-runs")
    ap.add_argument("--tag", default="")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    tag = args.tag or f"c{args.channels}-{args.norm}-{args.lr_stepping}-x{args.lr_mult:g}" + (f"-pe{args.pe_lr_mult:g}" if args.pe_lr_mult != 1 else "")
    tfile = os.path.join(args.out, f"teacher-{args.teacher_tag or tag}-s{args.seed}.pt")
    stages = ["teacher", "distilled", "baseline"] if args.stage == "all" else [args.stage]
    teacher = None
    for stage in stages:
        if stage in ("distilled", "soft"):
            teacher = ResNetMnist(args.channels)
            teacher.load_state_dict(torch.load(tfile))
            teacher.eval()
        model, res = train(stage, args, teacher)
        res["tag"] = tag
        dest = tfile if stage == "teacher" else os.path.join(args.out, f"{res['stage']}-{tag}-s{args.seed}.pt")
        tmp = dest + ".tmp"
        torch.save(model.state_dict(), tmp)
        os.replace(tmp, dest)
        print(json.dumps(res), flush=True)
        with open(os.path.join(args.out, "results.jsonl"), "a") as f:
            f.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    main()
