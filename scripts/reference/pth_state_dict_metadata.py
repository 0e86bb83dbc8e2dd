"""Writes fixtures/pth_state_dict_metadata.json: the `_metadata` (module prefix -> version) of the state dicts in
the zip-format fixture .pth files, which deitjs's reader drops (it is not data) but a byte-identical rewrite
needs. Not run by CI. Run with Debian's python3-torch:  /usr/bin/python3 scripts/reference/pth_state_dict_metadata.py
"""
import json
import pathlib

import torch

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "fixtures"
# file -> the key holding the state dict (None: the file is the state dict)
FILES = {
    "deit_micro_distilled_patch4_32.pth": "model",
    "timm_resnet_bottleneck_tiny.pth": None,
    "deit_micro_distilled_patch4_32.train_checkpoint.pth": "model",
}

out = {}
for name, key in FILES.items():
    obj = torch.load(FIXTURES / name, map_location="cpu")
    sd = obj if key is None else obj[key]
    out[name] = [[prefix, meta["version"]] for prefix, meta in sd._metadata.items()]
    assert all(set(meta) == {"version"} for meta in sd._metadata.values()), name
(FIXTURES / "pth_state_dict_metadata.json").write_text(json.dumps(out) + "\n")
print({k: len(v) for k, v in out.items()})
