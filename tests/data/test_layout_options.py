"""Each data layout states its options once (its `LAYOUT` declaration): the parser, the syntax in
messages and the layout's own code agree, and a layout is one module of `anet.data.layouts`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import anet.data.layouts as layouts_package
from anet.cli.main import anet
from anet.data.layout import Integer, Layout
from anet.data.layouts import registered
from anet.data.spec import DataSpecError, parse_data_spec, syntax

ALL_OPTIONS = sorted({key for layout in registered().values() for key in layout.options})


def test_the_layouts_and_what_they_take():
    options = {kind: set(layout.options) for kind, layout in registered().items()}
    clip = {"frames", "size", "fps", "flip", "eval_short_side", "objects"}
    assert options == {
        "proxy": {
            "classes",
            "frames",
            "size",
            "train",
            "val",
            "seed",
            "flow",
            "objects",
            "cache",
            "distractors",
            "noise",
        },
        "folder": clip | {"holdout"},
        "csv": clip | {"videos", "classes", "multilabel", "val", "holdout"},
        "charades": clip | {"classes", "videos", "val"},
        "frames": clip | {"root", "val", "flow", "source_fps", "multilabel", "holdout"},
        "list": clip | {"videos", "val", "classes", "multilabel", "holdout"},
    }
    # the syntax shown in messages lists each of them (it once lacked proxy's distractors and noise,
    # and the frame list's multilabel)
    for kind, layout in registered().items():
        line = layout.syntax()
        assert line in syntax().splitlines()
        assert all(f"{key}=" in line for key in options[kind]), kind


@pytest.mark.parametrize(
    ("kind", "option"),
    [(kind, option) for kind, layout in registered().items() for option in ALL_OPTIONS if option not in layout.options],
)
def test_an_option_the_layout_does_not_take_is_an_error_naming_it(kind, option):
    text = f"{kind}:{option}=1" if registered()[kind].path is None else f"{kind}:/no/such/path,{option}=1"
    with pytest.raises(DataSpecError) as raised:
        parse_data_spec(text)
    message = str(raised.value)
    assert message.startswith(f"unknown option {option!r} for {kind} in {text!r}; {kind} takes: ")
    assert message.endswith(", ".join(sorted(registered()[kind].options)))


def test_proxy_distractors_and_noise_reach_the_task():
    plain = parse_data_spec("proxy:classes=4,train=2,val=2").dataset("train")[0]["rgb"]
    changed = parse_data_spec("proxy:classes=4,train=2,val=2,distractors=0,noise=0.2").dataset("train")[0]["rgb"]
    assert plain.shape == changed.shape and not (plain == changed).all()
    with pytest.raises(DataSpecError, match=r"option noise=2.0 in 'proxy:noise=2' must be in \[0.0, 1.0\]"):
        parse_data_spec("proxy:noise=2")


def test_a_declared_option_the_layout_never_reads_is_anets_bug(monkeypatch):
    proxy = registered()["proxy"]
    careless = Layout("proxy", None, {**proxy.options, "colour": Integer(3)}, proxy.build)
    monkeypatch.setattr(layouts_package, "registered", lambda: {"proxy": careless})
    monkeypatch.setattr("anet.data.spec.registered", lambda: {"proxy": careless})
    with pytest.raises(AssertionError, match=r"declares options it never reads: \['colour'\]"):
        parse_data_spec("proxy")


def test_a_new_layout_is_one_module(tmp_path: Path, monkeypatch):
    """A module with a LAYOUT, put beside the others, is a data-spec kind: nothing else changes."""
    (tmp_path / "counting.py").write_text(
        textwrap.dedent(
            """
            from anet.data.dataspec import spec_of
            from anet.data.layout import Integer, Layout
            from anet.data.proxy import ProxyDataset


            def build(text, path, options):
                samples = options["samples"]

                def factory(split, clip):
                    return ProxyDataset(samples=samples, split=split)

                clip = {"frames": None, "size": None, "fps": None, "flip": 0.0, "eval_short_side": None}
                return spec_of(
                    text, "counting", clip, factory, num_classes=8, multi_label=False, has_flow=False, class_names=None
                )


            LAYOUT = Layout("counting", "DIR", {"samples": Integer(3)}, build)
            """
        )
    )
    monkeypatch.setattr(layouts_package, "__path__", [*layouts_package.__path__, str(tmp_path)])
    registered.cache_clear()
    try:
        spec = parse_data_spec("counting:anywhere,samples=5")
        assert spec.kind == "counting" and len(spec.dataset("train")) == 5
        assert "counting:DIR[,samples=3]" in syntax().splitlines()
        help_text = " ".join(CliRunner().invoke(anet, ["train", "--help"], terminal_width=200).output.split())
        assert "charades:TRAIN_CSV, counting:DIR, csv:FILE," in help_text  # the --data help, in kind order
        with pytest.raises(DataSpecError, match="unknown option 'frames' for counting"):
            parse_data_spec("counting:anywhere,frames=5")
    finally:
        monkeypatch.undo()
        registered.cache_clear()
    assert "counting" not in registered()
