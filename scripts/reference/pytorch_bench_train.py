# Same-run reference: PyTorch + timm training step (forward, hard distillation with a frozen teacher, backward, AdamW),
# deit_tiny_distilled_patch16_224 batch 32, median of 5 timed steps after 1 warm-up, 2 threads.
import sys, time, statistics, torch, timm
import torch.nn.functional as F
torch.set_num_threads(2)
teacher_name = sys.argv[1] if len(sys.argv) > 1 else 'none'
model = timm.create_model('deit_tiny_distilled_patch16_224', pretrained=False, drop_path_rate=0.1).train()
model.set_distilled_training(True)
teacher = None if teacher_name == 'none' else timm.create_model(teacher_name, pretrained=False).eval()
opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.05)
x = torch.randn(32, 3, 224, 224); y = torch.randint(0, 1000, (32,))
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
ts = []
for _ in range(5):
    t0 = time.perf_counter(); step(); ts.append(time.perf_counter() - t0)
print(f"pytorch train deit_tiny_distilled_patch16_224 b32 + {teacher_name}: {32 / statistics.median(ts):.2f} img/s")
