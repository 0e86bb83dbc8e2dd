#!/usr/bin/env python3
"""PyTorch side of the step-parity check: repeats ts-steps.mjs's updates (same initial weights, batch, loss, AdamW
groups, lr 1e-3) and prints the loss of every step and the final-weight difference against TS.
Usage: python3 step_parity.py /tmp/ts-steps/wasm-hard
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

import mnist_reference as ref
from eval_ts_run import read_safetensors


def main():
    d = sys.argv[1]
    torch.set_num_threads(1)
    meta = json.load(open(os.path.join(d, "losses.json")))
    u8, lab = ref.load_split("/tmp/mnist-split", 0, "train")
    pick = meta["pick"]
    x = ref.to_input(np.pad(u8[pick], ((0, 0), (2, 2), (2, 2))), 3, "imagenet").double()
    y = torch.from_numpy(lab[pick].astype(np.int64))
    t_lab = torch.tensor(meta["tLab"])
    model = ref.DeiTDistilled(3, drop_path_rate=0.0).double()
    model.load_state_dict({k: v.double() for k, v in read_safetensors(os.path.join(d, "init.safetensors")).items()})
    opt = torch.optim.AdamW(ref.param_groups(model, 0.05), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    losses = []
    for _ in range(meta["steps"]):
        model.train()
        cls, dist = model(x)
        base = ref.smoothing_ce(cls, y)
        loss = base if meta["type"] == "none" else 0.5 * base + 0.5 * F.cross_entropy(dist, t_lab)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    final = read_safetensors(os.path.join(d, "final.safetensors"))
    sd = model.state_dict()
    worst = max(((final[k].double() - sd[k]).abs().max().item() / (sd[k].abs().max().item() + 1e-12), k) for k in sd)
    rel = [abs(a - b) / abs(b) for a, b in zip(meta["losses"], losses)]
    print(json.dumps({
        "run": d, "loss_ts": [round(v, 5) for v in meta["losses"][::5]], "loss_torch64": [round(v, 5) for v in losses[::5]],
        "max_rel_loss_diff": max(rel), "rel_loss_diff_step1": rel[0], "worst_param_rel_diff": worst,
        "tensors_added_ts": meta.get("tensorsAdded", meta.get("leakedTensors")),
    }))


if __name__ == "__main__":
    main()
