#!/usr/bin/env python3
"""Loads the weights of a TypeScript main-job run (model.safetensors of teacher/, student-distilled/, student-baseline/)
into the PyTorch models of mnist_reference.py and evaluates them on the same exported test split: checks the TS
forward pass and eval numbers, and prints cos(cls, dist) per layer and a few parameter statistics.
Usage: python3 eval_ts_run.py /tmp/mj0 --seed 0 [--data /tmp/mnist-split] [--compare /tmp/ref-runs/distilled-...pt]
"""
import argparse
import json
import os
import struct

import numpy as np
import torch

import mnist_reference as ref

DT = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(body[a:b], dtype=DT[v["dtype"]]).reshape(v["shape"]).copy())
    return out


def param_stats(sd):
    keys = ["patch_embed.proj.weight", "pos_embed", "cls_token", "dist_token", "blocks.0.attn.qkv.weight", "blocks.3.mlp.fc2.weight", "head.weight", "head_dist.weight", "norm.weight"]
    return {k: round(sd[k].float().norm().item(), 3) for k in keys if k in sd}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--data", default="/tmp/mnist-split")
    ap.add_argument("--compare", nargs="*", default=[])
    args = ap.parse_args()
    torch.set_num_threads(1)
    te_u8, te_y = ref.load_split(args.data, args.seed, "test")
    x = ref.to_input(np.pad(te_u8, ((0, 0), (2, 2), (2, 2))), 3, "imagenet")
    y = torch.from_numpy(te_y.astype(np.int64))
    for stage in ("teacher", "student-distilled", "student-baseline"):
        f = os.path.join(args.run, stage, "model.safetensors")
        if not os.path.exists(f):
            continue
        sd = read_safetensors(f)
        if stage == "teacher":
            m = ref.ResNetMnist(3)
            sd = {k: v for k, v in sd.items()}
            missing, unexpected = m.load_state_dict(sd, strict=False)
            res = {"stage": stage, "acc": ref.evaluate(m, x, y, False), "missing": missing, "unexpected": unexpected}
        else:
            m = ref.DeiTDistilled(3)
            missing, unexpected = m.load_state_dict(sd, strict=False)
            res = {"stage": stage, "acc": ref.evaluate(m, x, y, True), "missing": missing, "unexpected": unexpected,
                   "cos": ref.token_cosines(m, x[:500]), "norms": param_stats(sd)}
        print(json.dumps(res))
    for f in args.compare:
        sd = torch.load(f)
        m = ref.DeiTDistilled(sd["patch_embed.proj.weight"].shape[1])
        m.load_state_dict(sd)
        print(json.dumps({"torch": os.path.basename(f), "norms": param_stats(sd)}))


if __name__ == "__main__":
    main()
