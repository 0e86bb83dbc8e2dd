# Same-run reference: PyTorch + timm training step (forward, hard distillation with a frozen teacher, backward, AdamW),
# median of 5 timed steps after 1 warm-up, 2 threads. Also the median CPU time (user + system) per step and peak RSS.
# usage: pytorch_bench_train.py [none|resnet50|regnety_160] [MODEL] [BATCH]
#        (default deit_tiny_distilled_patch16_224 b32; deit_tiny_distilled_patch4_32 b128 for the 32 px row)
import sys, time, statistics, os, resource, torch, timm
import torch.nn.functional as F
torch.set_num_threads(2)
teacher_name = sys.argv[1] if len(sys.argv) > 1 else 'none'
name = sys.argv[2] if len(sys.argv) > 2 else 'deit_tiny_distilled_patch16_224'
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 32
steps = int(os.environ.get('STEPS', '5'))
if name.startswith('deit_tiny_distilled_patch4_32'):
    # timm has no 32 px DeiT-Ti: the same architecture with patch 4 at 32 px (deitjs's deit_tiny_distilled_patch4_32).
    from timm.models.deit import VisionTransformerDistilled
    model = VisionTransformerDistilled(img_size=32, patch_size=4, embed_dim=192, depth=12, num_heads=3, num_classes=10, drop_path_rate=0.1)
    size, classes = 32, 10
else:
    model = timm.create_model(name, pretrained=False, drop_path_rate=0.1)
    size, classes = 224, 1000
model.train()
model.set_distilled_training(True)
teacher = None if teacher_name == 'none' else timm.create_model(teacher_name, pretrained=False, num_classes=classes).eval()
opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.05)
x = torch.randn(batch, 3, size, size); y = torch.randint(0, classes, (batch,))
def step():
    cls, dist = model(x)
    base = F.cross_entropy(cls, y, label_smoothing=0.1)
    if teacher is None:
        loss = base
    else:
        with torch.no_grad():
            t = teacher(x)
        loss = 0.5 * base + 0.5 * F.cross_entropy(dist, t.argmax(dim=1))
    opt.zero_grad(); loss.backward(); opt.step()
step()
ts, cs = [], []
for _ in range(steps):
    c0 = os.times(); t0 = time.perf_counter(); step(); ts.append(time.perf_counter() - t0); c1 = os.times()
    cs.append(c1.user + c1.system - c0.user - c0.system)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"pytorch train {name} b{batch} + {teacher_name}: {batch / statistics.median(ts):.2f} img/s "
      f"(median {statistics.median(ts) * 1000:.0f} ms wall, {statistics.median(cs) * 1000:.0f} ms CPU per step; peak RSS {rss:.0f} MiB)")
