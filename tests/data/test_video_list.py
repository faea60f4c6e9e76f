"""mmaction2's video list (`path label`, no header) as the `list:` data spec, on real clips."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from anet.data.spec import DataSpecError, parse_data_spec


@pytest.fixture
def listed(tmp_path: Path, copy_segment) -> Path:
    """videos/ with three real clips, and train / val lists naming them relative to videos/."""
    for name in ("bikes", "bunny", "phone"):
        copy_segment(f"{name}.mp4", tmp_path / "videos" / "clips" / f"{name}.mp4")
    (tmp_path / "kinetics_train_list.txt").write_text("clips/bikes.mp4 0\nclips/bunny.mp4 1\n\nclips/phone.mp4 2\n")
    (tmp_path / "kinetics_val_list.txt").write_text("clips/phone.mp4 2\n")
    return tmp_path


def test_a_list_with_its_sibling_validation_list(listed):
    spec = parse_data_spec(f"list:{listed / 'kinetics_train_list.txt'},videos={listed / 'videos'},frames=4,size=32")
    assert (spec.kind, spec.num_classes, spec.multi_label, spec.class_names) == ("list", 3, False, None)
    data = spec.datasets()
    assert (len(data.train), len(data.val)) == (3, 1)
    item = data.val[0]
    assert item["rgb"].shape == (3, 4, 32, 32) and item["label"] == 2 and item["video"].endswith("phone.mp4")
    assert torch.equal(torch.tensor([data.train[k]["label"] for k in range(3)]), torch.tensor([0, 1, 2]))


def test_class_names_from_a_file_and_multi_label_lines(listed):
    (listed / "names.txt").write_text("riding\ncartoon\ndriving\n")
    (listed / "multi_train.txt").write_text("clips/bikes.mp4 0 2\nclips/bunny.mp4 1\n")
    spec = parse_data_spec(
        f"list:{listed / 'multi_train.txt'},videos={listed / 'videos'},classes={listed / 'names.txt'},holdout=0.5"
    )
    assert spec.class_names == ("riding", "cartoon", "driving") and spec.multi_label


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("clips/bikes.mp4\n", ":1: expected '<video path> <label index>"),
        ("clips/bikes.mp4 0\nclips/bunny.mp4 cartoon\n", ":2: expected"),
        ("clips/missing.mp4 0\n", ":1: video"),
        ("\n\n", "lists no videos"),
    ],
)
def test_bad_lists_name_file_and_line(listed, content, message):
    path = listed / "bad_train.txt"
    path.write_text(content)
    with pytest.raises(DataSpecError, match=message) as caught:
        parse_data_spec(f"list:{path},videos={listed / 'videos'},val={listed / 'kinetics_val_list.txt'}").datasets()
    assert str(path) in str(caught.value)
