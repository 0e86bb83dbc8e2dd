"""Checks a deitjs export in deit main.py's checkpoint format against real PyTorch + timm (not run by CI).

Loads the checkpoint with torch.load, builds the micro DeiT of the fixtures and deit's optimizer, scheduler, EMA and
grad scaler the way deit main.py does (timm's create_optimizer / create_scheduler / ModelEma), loads every state
dict as main.py's --resume does, compares the weights with the deitjs run's safetensors files, and takes one AdamW
step, checking it against the AdamW formula applied to the loaded moments.

  node scripts/reference/deit-checkpoint-export.mjs /tmp/deit-handoff
  git --git-dir=<pytorch-image-models> archive v0.9.16 timm | tar -x -C /tmp/timm0916   # timm 0.9.16 runs on torch 1.13
  PYTHONPATH=/tmp/timm0916 /usr/bin/python3 scripts/reference/deit_checkpoint_check.py /tmp/deit-handoff
(/usr/bin/python3 with Debian's python3-torch and python3-torchvision.)
"""
import argparse
import inspect
import io
import json
import struct
import sys

import torch
import timm
from timm.models.deit import VisionTransformerDistilled
from timm.optim import create_optimizer
from timm.scheduler import create_scheduler
from timm.utils import ModelEma

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/deit-handoff"
print(f"torch {torch.__version__}, timm {timm.__version__}")


def read_safetensors(path):
    """A minimal safetensors reader (F32 only), to compare with the run's own files."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", name
        b, end = e["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(data[b:end]), dtype=torch.float32).reshape(e["shape"])
    return tensors


def max_diff(a, b):
    assert list(a.keys()) == list(b.keys()), "key order differs"
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


ckpt = torch.load(f"{out}/checkpoint.pth", map_location="cpu")
print("keys:", list(ckpt.keys()), "epoch:", ckpt["epoch"])
print("model: weights vs run/model.safetensors, max |diff| =", max_diff(ckpt["model"], read_safetensors(f"{out}/run/model.safetensors")))
print("model_ema: vs run/model-ema.safetensors, max |diff| =", max_diff(ckpt["model_ema"], read_safetensors(f"{out}/run/model-ema.safetensors")))

# What deit main.py builds (its defaults, with this run's schedule: lr 1e-3 unscaled, 2 epochs, warmup 1 from 1e-5).
args = argparse.Namespace(
    opt="adamw", lr=1e-3, weight_decay=0.05, opt_eps=1e-8, opt_betas=None, momentum=0.9, sched="cosine", epochs=2,
    min_lr=1e-5, warmup_lr=1e-5, warmup_epochs=1, decay_epochs=30, cooldown_epochs=10, patience_epochs=10,
    decay_rate=0.1, lr_noise=None, lr_noise_pct=0.67, lr_noise_std=1.0, seed=0,
)
torch.manual_seed(0)
model = VisionTransformerDistilled(img_size=32, patch_size=4, embed_dim=64, depth=2, num_heads=2, num_classes=10)
model_ema = ModelEma(model, decay=0.9, device="cpu", resume="")
optimizer = create_optimizer(args, model)
lr_scheduler, _ = create_scheduler(args, optimizer)
loss_scaler = torch.cuda.amp.GradScaler()

# main.py --resume, line for line (facebookresearch/deit main.py: no lr_scheduler.step on resume; the first resumed
# epoch runs at the lr stored in the optimizer's groups, and lr_scheduler.step(epoch) follows it).
print("load_state_dict(model):", model.load_state_dict(ckpt["model"]))
optimizer.load_state_dict(ckpt["optimizer"])
lr_scheduler.load_state_dict(ckpt["lr_scheduler"])
start_epoch = ckpt["epoch"] + 1
mem_file = io.BytesIO()
torch.save({"state_dict_ema": ckpt["model_ema"]}, mem_file)
mem_file.seek(0)
model_ema._load_checkpoint(mem_file)
if "scaler" in ckpt:
    loss_scaler.load_state_dict(ckpt["scaler"])
print("GradScaler enabled:", loss_scaler.is_enabled(), "| an empty scaler dict is refused by an enabled scaler:",
      "is empty" in inspect.getsource(torch.cuda.amp.GradScaler.load_state_dict))
print("groups:", [(len(g["params"]), g["weight_decay"]) for g in optimizer.param_groups], "resumed lr:", optimizer.param_groups[0]["lr"], "start epoch:", start_epoch)
print("timm's scheduler after step(epoch):", lr_scheduler._get_lr(ckpt["epoch"]), "| after step(start_epoch):", lr_scheduler._get_lr(start_epoch))
print("EMA weights vs model_ema:", max((v - ckpt["model_ema"][k]).abs().max().item() for k, v in model_ema.ema.state_dict().items()))

# One training step on a fixed batch, checked against AdamW applied to the loaded moments.
g = torch.Generator().manual_seed(1)
x, y = torch.randn(8, 3, 32, 32, generator=g), torch.randint(0, 10, (8,), generator=g)
model.train()
model.set_distilled_training(True)  # deit's DistilledVisionTransformer returns both heads in training
cls, dist = model(x)
loss = 0.5 * (torch.nn.functional.cross_entropy(cls, y) + torch.nn.functional.cross_entropy(dist, y))
optimizer.zero_grad()
loss.backward()
before = {p: (p.detach().clone(), {k: v.clone() for k, v in optimizer.state[p].items()}) for grp in optimizer.param_groups for p in grp["params"]}
optimizer.step()
model_ema.update(model)
worst = {"step": 0.0, "exp_avg": 0.0, "exp_avg_sq": 0.0, "param": 0.0}
for grp in optimizer.param_groups:
    (b1, b2), lr, wd, eps = grp["betas"], grp["lr"], grp["weight_decay"], grp["eps"]
    for p in grp["params"]:
        p0, s0 = before[p]
        grad = p.grad
        t = s0["step"].item() + 1
        m = b1 * s0["exp_avg"] + (1 - b1) * grad
        v = b2 * s0["exp_avg_sq"] + (1 - b2) * grad * grad
        expected = p0 * (1 - lr * wd) - (lr / (1 - b1**t)) * m / (v.sqrt() / (1 - b2**t) ** 0.5 + eps)
        s1 = optimizer.state[p]
        worst["step"] = max(worst["step"], abs(s1["step"].item() - t))
        worst["exp_avg"] = max(worst["exp_avg"], (s1["exp_avg"] - m).abs().max().item())
        worst["exp_avg_sq"] = max(worst["exp_avg_sq"], (s1["exp_avg_sq"] - v).abs().max().item())
        worst["param"] = max(worst["param"], (p.detach() - expected).abs().max().item())
steps = sorted({int(s["step"].item()) - 1 for s in optimizer.state.values()})
with torch.no_grad():
    cls, dist = model(x)
    after = 0.5 * (torch.nn.functional.cross_entropy(cls, y) + torch.nn.functional.cross_entropy(dist, y))
print(f"one step from loaded step(s) {steps}: loss {loss.item():.6f} -> {after.item():.6f}; max |diff| vs AdamW on the loaded moments: {worst}")
