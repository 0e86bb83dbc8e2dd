# Same-run reference: a timm model's eval forward pass (no grad) in PyTorch, e.g. a frozen teacher; 2 threads,
# 1 warm-up + 5 timed runs; median images/s and CPU time per run (user + system). usage: MODEL [BATCH] [RUNS]
import sys, time, statistics, os, torch, timm
torch.set_num_threads(2)
name = sys.argv[1]
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 32
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
m = timm.create_model(name, pretrained=False).eval()
x = torch.randn(batch, 3, 224, 224)
ts, cs = [], []
with torch.no_grad():
    m(x)
    for _ in range(runs):
        c0 = os.times(); t0 = time.perf_counter(); m(x); ts.append(time.perf_counter() - t0); c1 = os.times()
        cs.append(c1.user + c1.system - c0.user - c0.system)
print(f"pytorch forward {name} b{batch}: {batch / statistics.median(ts):.2f} img/s "
      f"(median {statistics.median(ts) * 1000:.0f} ms wall, {statistics.median(cs) * 1000:.0f} ms CPU per run)")
