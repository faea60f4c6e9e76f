"""A twin's learned weights (dedupe.transfer_weights) are the same in every process: a run and its
resume in another process must give the same files, and Python orders sets of strings by a
per-process hash seed."""

from __future__ import annotations

import os
import subprocess
import sys

SYMMETRIC = """network s
  classes 8

stem a in=[rgb] C=32 r=1
stem b in=[rgb] C=32 r=1
block p level=1 in=[a, b] C=32 r=1
block q level=1 in=[a, b] C=32 r=1
block d level=4 in=[p, q] C=64 r=1 stride=2
"""
# the same graph, another name for p: p and q are interchangeable, so two isomorphisms exist
TWIN = SYMMETRIC.replace("network s", "network t").replace(" p ", " m ").replace("[p, q]", "[m, q]")
PROGRAM = f"""
import json
from anet.dsl import parse
from anet.evolution.dedupe import transfer_weights
weights = {{"p": [0.1, 0.2], "q": [0.3, 0.4], "d": [0.5, 0.6]}}
print(json.dumps(transfer_weights(parse({SYMMETRIC!r}), weights, parse({TWIN!r})), sort_keys=True))
"""


def test_transferred_weights_do_not_depend_on_the_hash_seed():
    outputs = {
        subprocess.run(
            [sys.executable, "-c", PROGRAM],
            env=os.environ | {"PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2, 4)  # they gave two different answers before
    }
    assert len(outputs) == 1, outputs
