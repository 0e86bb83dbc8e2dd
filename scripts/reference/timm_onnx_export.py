# timm's own ONNX export of deit_tiny_distilled_patch16_224 (random init), for the same-run ORT comparison.
import torch, timm
m = timm.create_model('deit_tiny_distilled_patch16_224', pretrained=False).eval()
x = torch.randn(1, 3, 224, 224)
torch.onnx.export(m, x, '/tmp/timm_deit_tiny.onnx', input_names=['pixel_values'], output_names=['logits'],
                  dynamic_axes={'pixel_values': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=17)
print('exported')
