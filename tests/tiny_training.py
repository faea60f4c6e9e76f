"""The small networks and training settings the training tests share. TINY: two streams and three
fusions (so learned connection weights), flow computed in the model, a few hundred milliseconds per
step. RGB_ONLY: two RGB stems and three fusions, no flow layer, for run directories that are exported
(in seconds) and for the learned-weights files."""

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

# Two RGB stems and three fusions (learned connection weights), no flow layer: exports in seconds.
RGB_ONLY = """network small
  classes 8

stem s1 in=[rgb] C=32 r=1
stem s2 in=[rgb] C=32 r=2
block a level=1 in=[s1, s2] C=32 r=1
block b level=2 in=[a, s1] C=64 r=1 stride=2
block c level=3 in=[b] C=128 r=1 stride=2
block d level=4 in=[c, a] C=256 r=1 stride=2
"""
