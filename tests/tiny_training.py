"""The small two-stream network and training settings the training tests share: three fusions (so
learned connection weights), flow computed in the model, a few hundred milliseconds per step."""

TINY = """network tiny
  classes 8

stem s_rgb in=[rgb] C=64 r=2
stem s_flow in=[flow] C=64 r=1
block a level=1 in=[s_rgb, s_flow] C=64 r=1
block b level=2 in=[a, s_flow] C=128 r=2 stride=2
block c level=3 in=[b] C=256 r=4 stride=2
block d level=4 in=[c, a] C=512 r=1 stride=2
"""
SMALL = {
    "width": 0.0625,
    "frames": 4,
    "size": 32,
    "batch_size": 4,
    "progress": False,
    "log_every": 1,
    "precision": "fp32",
}
