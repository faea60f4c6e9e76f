"""Networks with an object stem (AssembleNet++'s segmentation input) train on data with segmentation
maps: the proxy's (`objects=3`) through the training entry point, and real clips with maps beside
them into a run directory that `anet eval` and `anet predict` use; data without maps, or with
another class count, is refused before anything is built."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from tiny_training import RGB_ONLY, SMALL

from anet.cli.main import anet
from anet.data.decode import VideoReader
from anet.data.segmentation import map_path
from anet.data.spec import parse_data_spec
from anet.dsl import parse
from anet.paper import STEM_INPUTS
from anet.training import TrainConfig, train
from anet.training.device import placement
from anet.training.model import DataMismatchError, build_for_data, check_inputs, model_inputs

Copy = Callable[[str, Path], Path]


def with_objects(classes: int) -> str:
    """Two fusions read the object stem, so its connection weights show whether it was used."""
    return f"""network objects
  classes 8

stem s_rgb in=[rgb] C=32 r=1
stem s_obj in=[object] C={classes} r=4
block a level=1 in=[s_rgb, s_obj] C=32 r=1
block b level=2 in=[a, s_obj] C=64 r=1 stride=2
block c level=3 in=[b] C=128 r=1 stride=2
block d level=4 in=[c, a] C=256 r=1 stride=2
"""


def test_the_data_must_provide_maps_of_the_stems_classes() -> None:
    network = parse(with_objects(3))
    with pytest.raises(DataMismatchError, match=r"C=3 segmentation classes, but the data 'proxy' provides no "):
        check_inputs(network, parse_data_spec("proxy"))
    with pytest.raises(DataMismatchError, match=r"C=5 segmentation classes, but the data .* has objects=3: they must"):
        check_inputs(parse(with_objects(5)), parse_data_spec("proxy:objects=3"))
    check_inputs(network, parse_data_spec("proxy:objects=3"))
    build_for_data(parse(RGB_ONLY), RGB_ONLY, parse_data_spec("proxy:objects=3"))  # maps it does not read: fine
    assert STEM_INPUTS["object"] == "segmentation"  # the model's keyword is the data's item key


def test_a_batch_becomes_the_networks_inputs_with_one_hot_maps() -> None:
    data = parse_data_spec("proxy:objects=3,train=4,val=4,frames=4,size=16").dataset("train")
    batch = torch.utils.data.default_collate([data[i] for i in range(3)])
    place = placement(TrainConfig(device="cpu", precision="fp32"))
    inputs, labels = model_inputs(batch, parse(with_objects(3)), place)
    assert set(inputs) == {"rgb", "segmentation"} and labels.tolist() == [0, 1, 2]
    maps = inputs["segmentation"]
    assert maps.shape == (3, 3, 4, 16, 16) and maps.dtype == torch.float32
    assert torch.equal(maps.argmax(1), batch["segmentation"].long()) and torch.equal(
        maps.sum(1), torch.ones(3, 4, 16, 16)
    )
    assert set(model_inputs(batch, parse(RGB_ONLY), place)[0]) == {"rgb"}


@pytest.mark.slow
def test_an_object_stem_trains_on_the_proxys_maps(tmp_path: Path) -> None:
    text = with_objects(3)
    config = TrainConfig(**(SMALL | {"iterations": 4}))
    result = train(parse(text), text, parse_data_spec("proxy:objects=3,train=16,val=8"), config, out_dir=tmp_path)
    assert 0 <= result.metrics["top1"] <= result.metrics["top5"] <= 1
    assert result.edge_weights["a"][1] != 0.5 and result.edge_weights["b"][1] != 0.5  # gradients reached them


def write_maps(video: Path, classes: int, seed: int) -> None:
    with VideoReader(video) as reader:
        frames = list(reader.frames())
    height, width = frames[0].shape[:2]
    labels = np.random.default_rng(seed).integers(0, classes, (len(frames), height // 2, round(width / 2)))
    np.savez_compressed(map_path(video), labels=labels.astype(np.uint8))


@pytest.mark.slow
def test_a_run_on_real_clips_with_maps_evaluates_and_predicts(tmp_path: Path, copy_segment: Copy) -> None:
    root = tmp_path / "videos"
    for split, copies in (("train", 2), ("val", 1)):
        for name in ("bikes", "phone"):
            for k in range(copies):
                write_maps(copy_segment(f"{name}.mp4", root / split / name / f"{name}{k}.mp4"), 4, k)
    text, out = with_objects(4), tmp_path / "run"
    config = TrainConfig(**(SMALL | {"iterations": 2, "batch_size": 2, "bn_batches": 1}))
    train(parse(text), text, parse_data_spec(f"folder:{root},objects=4"), config, out_dir=out)

    evaluated = CliRunner().invoke(anet, ["eval", str(out)])
    assert evaluated.exit_code == 0 and "top1=" in evaluated.output, (evaluated.output, evaluated.exception)
    video = root / "val" / "bikes" / "bikes0.mp4"
    predicted = CliRunner().invoke(anet, ["predict", str(out), str(video), "--top", "2", "--clips", "2"])
    assert predicted.exit_code == 0 and "bikes" in predicted.output and "phone" in predicted.output, predicted.output

    map_path(video).unlink()
    refused = CliRunner().invoke(anet, ["predict", str(out), str(video)])
    assert refused.exit_code == 1 and f"segmentation maps {map_path(video)} do not exist" in refused.output
    refused = CliRunner().invoke(anet, ["eval", str(out), "--data", f"folder:{root}"])
    assert refused.exit_code == 1 and "provides no segmentation maps: add objects=4" in refused.output
