# timm's own ONNX export of a model (random init), for the same-run ORT comparison with ours.
# usage: timm_onnx_export.py [MODEL] [OUT.onnx]   (default deit_tiny_distilled_patch16_224 → /tmp/timm_deit_tiny.onnx)
import sys, torch, timm
name = sys.argv[1] if len(sys.argv) > 1 else 'deit_tiny_distilled_patch16_224'
out = sys.argv[2] if len(sys.argv) > 2 else '/tmp/timm_deit_tiny.onnx'
m = timm.create_model(name, pretrained=False).eval()
x = torch.randn(1, 3, 224, 224)
torch.onnx.export(m, x, out, input_names=['pixel_values'], output_names=['logits'],
                  dynamic_axes={'pixel_values': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=17)
print('exported', name, '->', out)
