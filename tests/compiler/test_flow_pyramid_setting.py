"""`flow pyramid` in the header selects the coarse-to-fine flow layer, with the `pyramid` settings
the file gives: the language reads and prints them, the hash tells the layers apart, the compiled
model holds a `PyramidFlow` configured as written, and the published layer stays the default."""

from __future__ import annotations

import pytest
import torch

from anet import runtime as rt
from anet.compiler import compile_to_module
from anet.dsl import architecture_hash, check_text, format_network, parse

NODES = """
stem 0 in=[rgb] C=4 r=1
stem 1 in=[flow] C=4 r=1
block 2 level=1 in=[0, 1] C=4 r=1
block 3 level=2 in=[2] C=8 r=1 stride=2
block 4 level=3 in=[3] C=8 r=1 stride=2
block 5 level=4 in=[4] C=8 r=1 stride=2
"""


def network(header: str):
    return parse(f"network tiny\n  classes 3\n{header}{NODES}")


def test_settings_round_trip_and_change_the_hash():
    plain = network("  flow pyramid\n")
    tuned = network("  flow pyramid\n  pyramid warps=3 resolution=0.5\n")
    assert tuned.header.pyramid.settings() == {"warps": 3, "resolution": 0.5}
    assert format_network(tuned).splitlines()[2:4] == ["  flow pyramid", "  pyramid warps=3 resolution=0.5"]
    assert parse(format_network(tuned)) == tuned
    hashes = {architecture_hash(n) for n in (network(""), plain, tuned)}
    assert len(hashes) == 3  # computed, pyramid with defaults, pyramid tuned: three functions


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("  pyramid warps=3\n", "`pyramid` settings apply to `flow pyramid` only; this file says `flow computed`"),
        ("  flow pyramid\n  pyramid warps=2.5\n", "pyramid.warps 2.5"),
        ("  flow pyramid\n  pyramid resolution=2\n", "pyramid.resolution 2"),
        ("  flow pyramid\n  pyramid median=4\n", "pyramid.median 4"),
    ],
)
def test_bad_settings_are_located_errors(header, message):
    result = check_text(f"network tiny\n  classes 3\n{header}{NODES}")
    assert result.network is None
    assert any(message in d.message for d in result.diagnostics), result.diagnostics


def test_the_compiled_model_computes_flow_with_the_layer_the_file_names():
    tuned = network("  flow pyramid\n  pyramid warps=2 iterations=3 scales=2\n")
    model = compile_to_module(tuned, format_network(tuned), None).build_model()
    assert isinstance(model.flow, rt.PyramidFlow)
    assert (model.flow.warps, model.flow.iterations, model.flow.scales) == (2, 3, 2)
    assert model.flow.resolution == rt.PyramidFlow().resolution  # not written: the layer's default
    rgb = torch.rand(1, 3, 3, 32, 32)
    with torch.no_grad():
        assert model(rgb).shape == (1, 3)
    published = compile_to_module(network(""), format_network(network("")), None).build_model()
    assert type(published.flow) is rt.RepresentationFlow
