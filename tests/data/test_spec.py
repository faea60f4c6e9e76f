"""Data specs: the command-line strings, what they tell consumers, and their error messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from anet.data.frames import encode_flow, require_cv2
from anet.data.spec import DataSpecError, parse_data_spec

Copy = Callable[[str, Path], Path]


def test_plain_proxy_uses_its_own_defaults_or_the_consumers() -> None:
    spec = parse_data_spec("proxy")
    assert (spec.kind, spec.num_classes, spec.multi_label, spec.has_flow) == ("proxy", 8, False, False)
    assert spec.class_names[:2] == ("right", "left") and spec.frames is None
    data = spec.datasets()
    assert (data.frames, data.size, len(data.train), len(data.val)) == (8, 32, 512, 512)
    assert data.train[0]["rgb"].shape == (3, 8, 32, 32)
    assert spec.datasets(frames=12, size=40).train[0]["rgb"].shape == (3, 12, 40, 40)


def test_proxy_options_win_over_the_consumer() -> None:
    spec = parse_data_spec("proxy:classes=4,frames=6,size=24,train=10,val=5,seed=1,flow=true,cache=yes")
    assert spec.num_classes == 4 and spec.has_flow and (spec.frames, spec.size) == (6, 24)
    data = spec.datasets(frames=16, size=64)
    assert (data.frames, data.size, len(data.train), len(data.val)) == (6, 24, 10, 5)
    item = data.val[3]
    assert item["rgb"].shape == (3, 6, 24, 24) and item["flow"].shape == (2, 6, 24, 24)
    assert torch.equal(item["rgb"], parse_data_spec("proxy:classes=4,frames=6,size=24,seed=1").dataset("val")[3]["rgb"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "bogus:/x",
            "unknown data kind 'bogus' in 'bogus:/x'; expected one of: charades, csv, folder, frames, list, proxy",
        ),
        ("proxy:colour=3", "unknown option 'colour' for proxy in 'proxy:colour=3'; proxy takes: cache, classes"),
        ("proxy:classes=x", "option classes='x' in 'proxy:classes=x' is not int"),
        ("proxy:classes=40", "the proxy task has 2 to 16 classes, got classes=40"),
        ("proxy:frames=0", "option frames=0 in 'proxy:frames=0' must be at least 1"),
        ("proxy:flow=maybe", "option flow='maybe' in 'proxy:flow=maybe' is not true or false"),
        ("proxy:seed=1,seed=2", "option 'seed' is given twice"),
        ("proxy:/data", "proxy takes no path, got '/data'"),
        ("folder", "folder needs a path in 'folder'. Syntax: folder:ROOT"),
        ("folder:/no/such/dir", "video folder /no/such/dir in data spec 'folder:/no/such/dir' does not exist"),
        ("csv:a.csv,b.csv", "has two paths ('a.csv', 'b.csv'); paths cannot contain commas"),
        ("folder:/tmp,fps=fast", "option fps='fast' in 'folder:/tmp,fps=fast' is not float"),
        ("folder:/tmp,holdout=2", "option holdout=2.0 in 'folder:/tmp,holdout=2' must be in [0.0, 0.99]"),
    ],
)
def test_errors_are_messages(text: str, message: str) -> None:
    with pytest.raises(DataSpecError) as error:
        parse_data_spec(text)
    assert message in str(error.value)


def test_folder_spec(tmp_path: Path, copy_segment: Copy) -> None:
    root = tmp_path / "mit"
    copy_segment("bikes.mp4", root / "train" / "ride" / "a.mp4")
    copy_segment("phone.avi", root / "train" / "talk" / "b.avi")
    copy_segment("bunny.webm", root / "val" / "talk" / "c.webm")
    spec = parse_data_spec(f"folder:{root},fps=12.5,frames=4")
    assert (spec.num_classes, spec.multi_label, spec.has_flow, spec.class_names) == (2, False, False, ("ride", "talk"))
    data = spec.datasets(size=48, frames=99)
    assert (data.frames, data.size, data.fps, len(data.train), len(data.val)) == (4, 48, 12.5, 2, 1)
    assert data.val[0]["rgb"].shape == (3, 4, 48, 48) and int(data.val[0]["label"]) == 1
    (tmp_path / "only_train" / "train" / "x").mkdir(parents=True)
    with pytest.raises(DataSpecError, match="no val"):
        parse_data_spec(f"folder:{tmp_path / 'only_train'}")


def test_folder_spec_without_splits_holds_out(tmp_path: Path, copy_segment: Copy) -> None:
    for i in range(8):
        copy_segment("bikes.mp4", tmp_path / "k" / ("a" if i % 2 else "b") / f"v{i}.mp4")
    data = parse_data_spec(f"folder:{tmp_path / 'k'},holdout=0.5").datasets(frames=2, size=16)
    assert len(data.train) + len(data.val) == 8 and len(data.val) > 0


def test_csv_spec_with_a_validation_file_and_class_list(tmp_path: Path, copy_segment: Copy) -> None:
    copy_segment("bikes.mp4", tmp_path / "v" / "a.mp4")
    copy_segment("phone.webm", tmp_path / "v" / "b.webm")
    (tmp_path / "train.csv").write_text("id,labels\na,ride;talk\nb,talk\n")
    (tmp_path / "val.csv").write_text("id,labels\nb,ride\n")
    (tmp_path / "classes.txt").write_text("talk\nride\nsing\n")
    options = f"val={tmp_path / 'val.csv'},videos={tmp_path / 'v'},classes={tmp_path / 'classes.txt'}"
    spec = parse_data_spec(f"csv:{tmp_path / 'train.csv'},{options}")
    assert (spec.num_classes, spec.multi_label, spec.class_names) == (3, True, ("talk", "ride", "sing"))
    data = spec.datasets(frames=3, size=16)
    assert (len(data.train), len(data.val)) == (2, 1)
    assert data.train[0]["label"].tolist() == [1, 1, 0] and data.val[0]["label"].tolist() == [0, 1, 0]


def test_charades_spec_finds_the_test_file_and_samples_at_6_fps(tmp_path: Path, copy_segment: Copy) -> None:
    copy_segment("bikes.mp4", tmp_path / "videos" / "AAA.mp4")
    copy_segment("phone.mp4", tmp_path / "videos" / "BBB.mp4")
    (tmp_path / "classes.txt").write_text("c000 Riding\nc001 Talking\n")
    (tmp_path / "Charades_v1_train.csv").write_text('id,actions\nAAA,"c000 0.0 1.0"\n')
    (tmp_path / "Charades_v1_test.csv").write_text('id,actions\nBBB,"c001 0.2 0.9"\n')
    text = (
        f"charades:{tmp_path / 'Charades_v1_train.csv'},classes={tmp_path / 'classes.txt'},videos={tmp_path / 'videos'}"
    )
    spec = parse_data_spec(text)
    assert (spec.num_classes, spec.multi_label, spec.class_names) == (2, True, ("Riding", "Talking"))
    assert (spec.fps, spec.default_fps) == (None, 6.0)
    data = spec.datasets(frames=4, size=16)
    assert data.fps == 6.0 and spec.datasets(fps=3).fps == 3  # the paper's rate unless told otherwise
    assert data.val[0]["label"].tolist() == [0, 1] and data.train[0]["rgb"].shape == (3, 4, 16, 16)
    with pytest.raises(DataSpecError, match="charades needs classes=FILE"):
        parse_data_spec(f"charades:{tmp_path / 'Charades_v1_train.csv'}")


def test_frames_spec_detects_flow_and_the_val_list(tmp_path: Path) -> None:
    cv2 = require_cv2()
    for name, label in (("v1", 0), ("v2", 2)):
        folder = tmp_path / name
        folder.mkdir()
        for k in range(1, 5):
            cv2.imwrite(str(folder / f"img_{k:05d}.jpg"), np.full((16, 16, 3), 40 * k + label, np.uint8))
            cv2.imwrite(str(folder / f"flow_x_{k:05d}.jpg"), np.full((16, 16), encode_flow(np.float32(1.0))))
            cv2.imwrite(str(folder / f"flow_y_{k:05d}.jpg"), np.full((16, 16), encode_flow(np.float32(0.0))))
    (tmp_path / "train_list.txt").write_text("v1 4 0\n")
    (tmp_path / "val_list.txt").write_text("v2 4 2\n")
    spec = parse_data_spec(f"frames:{tmp_path / 'train_list.txt'},source_fps=25")
    assert (spec.num_classes, spec.multi_label, spec.has_flow) == (3, False, True)
    data = spec.datasets(frames=4, size=16, fps=12.5)
    item = data.val[0]
    assert item["flow"].shape == (2, 4, 16, 16) and int(item["label"]) == 2
    assert not parse_data_spec(f"frames:{tmp_path / 'train_list.txt'},flow=false").datasets().train[0].get("flow")
    with pytest.raises(DataSpecError, match="source_fps"):
        parse_data_spec(f"frames:{tmp_path / 'train_list.txt'}").datasets(fps=6)
