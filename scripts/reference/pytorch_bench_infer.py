# Same-run reference: PyTorch + timm DeiT-Ti 224 inference, batch 64, median of 5 timed steps (1 warm-up), 2 threads.
import sys, time, statistics, torch, timm
torch.set_num_threads(2)
m = timm.create_model('deit_tiny_distilled_patch16_224', pretrained=False).eval()
x = torch.randn(64, 3, 224, 224)
with torch.no_grad():
    m(x)
    ts = []
    for _ in range(5):
        t = time.perf_counter(); m(x); ts.append(time.perf_counter() - t)
print(f"pytorch deit_tiny_distilled_patch16_224 b64 inference: {64 / statistics.median(ts):.1f} img/s")
