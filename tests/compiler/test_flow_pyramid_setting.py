"""`flow pyramid` in the header selects the coarse-to-fine flow layer, with the `pyramid` settings
the file gives: the language reads and prints them, the hash tells the layers apart, the compiled
model holds a `PyramidFlow` configured as written, and the published layer stays the default."""

from __future__ import annotations

import inspect
import re
from importlib import resources

import pytest
import torch

from anet import runtime as rt
from anet.compiler import compile_to_module
from anet.dsl import architecture_hash, check_text, format_network, parse
from anet.dsl.header import BUDGET_KEYS, PYRAMID_KEYS, RETRAINED_KEYS, Pyramid

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


# --- the settings are listed by the `Pyramid` model; the grammar and the layer must agree ---------

GRAMMAR = resources.files("anet.grammars").joinpath("anet.lark").read_text(encoding="utf-8")


def grammar_keys(grammar: str, terminal: str) -> set[str]:
    """The words the grammar's `terminal` (a line `NAME: "a" | "b"`) accepts."""
    (line,) = re.findall(rf"^{terminal}:(.*)$", grammar, flags=re.MULTILINE)
    return set(re.findall(r'"([^"]+)"', line))


@pytest.mark.parametrize(
    ("terminal", "keys"),
    [("PYRAMID_KEY", PYRAMID_KEYS), ("BUDGET_KEY", BUDGET_KEYS), ("RETRAINED_KEY", RETRAINED_KEYS)],
)
def test_the_grammar_accepts_exactly_the_models_keys(terminal, keys):
    """`PYRAMID_KEYS` (`BUDGET_KEYS`, `RETRAINED_KEYS`) are the model's fields; the grammar writes
    them once more."""
    assert grammar_keys(GRAMMAR, terminal) == set(keys)
    # and the comparison sees a key missing from the grammar, or one the model lacks
    first = f'"{keys[0]}"'
    assert grammar_keys(GRAMMAR.replace(f"{first} | ", ""), terminal) != set(keys)
    assert grammar_keys(GRAMMAR.replace(first, f'{first} | "extra"'), terminal) != set(keys)


@pytest.mark.parametrize("key", PYRAMID_KEYS)
def test_each_setting_reaches_the_layer_argument_of_its_name(key):
    parameter = inspect.signature(rt.PyramidFlow).parameters[key]
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
    # the layer's default is a value the file could write (leaving the key out changes nothing)
    assert Pyramid(**{key: parameter.default}).settings() == {key: parameter.default}
    tuned = network(f"  flow pyramid\n  pyramid {key}=1\n")  # 1 is in range for every setting
    assert tuned.header.pyramid.settings() == {key: 1}
    model = compile_to_module(tuned, format_network(tuned), None).build_model()
    assert getattr(model.flow, key) == 1


@pytest.mark.parametrize(
    "settings",
    ["scales=12 warps=100 iterations=1000 resolution=1 median=5", "scales=1 warps=1 iterations=1 resolution=0.01"],
)
def test_what_the_language_accepts_the_layer_accepts(settings):
    """The language's bounds (`Pyramid`) lie within the layer's checks: a valid file always builds."""
    tuned = network(f"  flow pyramid\n  pyramid {settings}\n")
    model = compile_to_module(tuned, format_network(tuned), None).build_model()
    assert isinstance(model.flow, rt.PyramidFlow)
