"""Dataset layouts built in tmp_path from real video segments in mp4, avi and webm."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from anet.data.clip import ClipConfig
from anet.data.layouts import (
    CharadesDataset,
    LabelSpace,
    LayoutError,
    VideoCsvDataset,
    VideoFolderDataset,
    in_holdout,
)
from anet.training.loader import WORKER_START  # the start method anet's own loaders use

Copy = Callable[[str, Path], Path]
CLIP = ClipConfig(frames=4, size=32, fps=12.5, train=True)


def check_item(item: dict, *, frames: int = 4, size: int = 32) -> None:
    assert item["rgb"].shape == (3, frames, size, size)
    assert item["rgb"].dtype == torch.float32
    assert float(item["rgb"].min()) >= 0.0 and float(item["rgb"].max()) <= 1.0
    assert float(item["rgb"].std()) > 0.02
    assert Path(item["video"]).is_file()


@pytest.fixture
def split_folder(tmp_path: Path, copy_segment: Copy) -> Path:
    root = tmp_path / "mit"
    copy_segment("bikes.mp4", root / "train" / "bikes" / "a.mp4")
    copy_segment("bikes.avi", root / "train" / "bikes" / "b.avi")
    copy_segment("phone.webm", root / "train" / "phone" / "c.webm")
    copy_segment("bikes.webm", root / "validation" / "bikes" / "d.webm")
    copy_segment("bunny.avi", root / "validation" / "bunny" / "e.avi")  # a class only val has
    (root / "train" / "phone" / "notes.txt").write_text("not a video")
    return root


def test_folder_with_splits(split_folder: Path) -> None:
    train = VideoFolderDataset(split_folder, split="train", clip=CLIP)
    val = VideoFolderDataset(split_folder, split="val", clip=ClipConfig(frames=6, size=24))
    assert train.class_names == val.class_names == ("bikes", "bunny", "phone")  # union of the splits
    assert (len(train), len(val)) == (3, 2)
    assert [int(train[i]["label"]) for i in range(3)] == [0, 0, 2]
    for i in range(3):
        check_item(train[i])
    item = val[1]
    check_item(item, frames=6, size=24)
    assert item["label"].dtype == torch.int64 and item["label"].shape == () and int(item["label"]) == 1
    with pytest.raises(LayoutError, match="split folders"):
        VideoFolderDataset(split_folder)


def test_folder_without_splits_uses_a_stable_holdout(tmp_path: Path, copy_segment: Copy) -> None:
    root = tmp_path / "kinetics"
    names = [f"clip{i}" for i in range(12)]
    for i, name in enumerate(names):
        copy_segment(
            ["bikes.mp4", "phone.avi", "bunny.webm"][i % 3], root / ["bikes", "phone", "bunny"][i % 3] / f"{name}.mp4"
        )
    everything = VideoFolderDataset(root, clip=CLIP)
    train = VideoFolderDataset(root, split="train", holdout=0.3, clip=CLIP)
    val = VideoFolderDataset(root, split="val", holdout=0.3, clip=CLIP)
    assert len(everything) == 12 and len(train) + len(val) == 12 and len(val) > 0
    assert not {r.video for r in train.records} & {r.video for r in val.records}
    assert all(in_holdout(str(r.video.relative_to(root)), 0.3) for r in val.records)
    with pytest.raises(LayoutError, match="pass holdout=FRACTION"):
        VideoFolderDataset(root, split="train")
    with pytest.raises(LayoutError, match=r"'val' part of .* is empty: holdout=0\.001 of 12 videos"):
        VideoFolderDataset(root, split="val", holdout=0.001)


def test_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match="does not exist"):
        VideoFolderDataset(tmp_path / "nowhere")
    (tmp_path / "empty" / "cls").mkdir(parents=True)
    with pytest.raises(LayoutError, match="no videos"):
        VideoFolderDataset(tmp_path / "empty")


@pytest.fixture
def clips(tmp_path: Path, copy_segment: Copy) -> Path:
    copy_segment("bikes.mp4", tmp_path / "clips" / "a.mp4")
    copy_segment("phone.avi", tmp_path / "clips" / "b.avi")
    copy_segment("bunny.webm", tmp_path / "clips" / "c.webm")
    return tmp_path


def test_csv_single_label_with_split_column(clips: Path) -> None:
    csv = clips / "annotations.csv"
    csv.write_text("video,label,split\nclips/a.mp4,riding,train\nclips/b,talking,training\nclips/c.webm,watching,val\n")
    train = VideoCsvDataset(csv, split="train", clip=CLIP)
    val = VideoCsvDataset(csv, split="validation", clip=CLIP)
    assert train.class_names == ("riding", "talking", "watching") and not train.multi_label
    assert [r.video.name for r in train.records] == ["a.mp4", "b.avi"]  # "b" found with its suffix
    assert int(train[1]["label"]) == 1 and int(val[0]["label"]) == 2
    check_item(train[1])
    check_item(val[0])
    assert len(VideoCsvDataset(csv)) == 3


def test_csv_multi_label_and_integer_labels(clips: Path) -> None:
    csv = clips / "multi.csv"
    csv.write_text("path,labels\nclips/a.mp4,3;0\nclips/b.avi,\nclips/c.webm,1\n")
    data = VideoCsvDataset(csv, clip=CLIP, videos=clips)
    assert data.multi_label and data.num_classes == 4 and data.class_names is None
    labels = [data[i]["label"] for i in range(3)]
    assert all(label.dtype == torch.float32 and label.shape == (4,) for label in labels)
    assert [label.tolist() for label in labels] == [[1, 0, 0, 1], [0, 0, 0, 0], [0, 1, 0, 0]]


def test_csv_errors(clips: Path) -> None:
    bad = clips / "bad.csv"
    bad.write_text("file_name,what\nclips/a.mp4,x\n")
    with pytest.raises(LayoutError, match="no video column"):
        VideoCsvDataset(bad)
    missing = clips / "missing.csv"
    missing.write_text("video,label\nclips/zzz,x\n")
    with pytest.raises(LayoutError, match="no video file for 'clips/zzz'"):
        VideoCsvDataset(missing)
    unknown = clips / "unknown.csv"
    unknown.write_text("video,label\nclips/a.mp4,x\n")
    with pytest.raises(LayoutError, match="not in the class list: x"):
        VideoCsvDataset(unknown, classes=["y"])


def test_label_space_rules() -> None:
    assert LabelSpace.from_tokens([["b"], ["a"]]) == LabelSpace(("a", "b"), 2, False)
    assert LabelSpace.from_tokens([["2"], ["10"]]) == LabelSpace(None, 11, False)  # integers are indices
    assert LabelSpace.from_tokens([["1"]], num_classes=5).num_classes == 5
    with pytest.raises(LayoutError, match="exactly one label"):
        LabelSpace.from_tokens([["a", "b"]], multi_label=False)


@pytest.fixture
def charades(tmp_path: Path, copy_segment: Copy) -> tuple[Path, Path]:
    copy_segment("bikes.mp4", tmp_path / "Charades" / "ABC12.mp4")
    copy_segment("phone.webm", tmp_path / "Charades" / "XYZ34.webm")
    classes = tmp_path / "Charades_v1_classes.txt"
    classes.write_text("c000 Riding a bike\nc001 Talking on a phone\nc002 Watching a cartoon\n")
    csv = tmp_path / "Charades_v1_train.csv"
    csv.write_text(
        'id,subject,scene,actions,length\nABC12,S1,Street,"c000 0.00 0.50;c001 0.60 1.20",1.2\nXYZ34,S2,Office,,1.0\n'
    )
    return csv, classes


def test_charades_labels_follow_the_clip_window(charades: tuple[Path, Path]) -> None:
    csv, classes = charades
    data = CharadesDataset(csv, classes=classes, videos=csv.parent / "Charades", clip=CLIP)
    assert data.labels == "clip" and data.num_classes == 3 and data.multi_label
    assert data.class_names == ("Riding a bike", "Talking on a phone", "Watching a cartoon")
    record = data.records[0]
    window = lambda start: data.label(record, start + np.arange(4) / 10)  # noqa: E731  # a 0.4 s clip
    assert window(0.0).tolist() == [1, 0, 0]
    assert window(0.5).tolist() == [0, 1, 0]  # [0.5, 0.9): c000 ends exactly at 0.5
    assert window(0.3).tolist() == [1, 1, 0]  # [0.3, 0.7) overlaps both
    torch.manual_seed(0)
    for _ in range(3):
        item = data[0]
        check_item(item)
        assert item["label"].shape == (3,) and set(item["label"].nonzero().flatten().tolist()) <= {0, 1}
    assert data[1]["label"].tolist() == [0, 0, 0]  # a video without actions


def test_charades_evaluation_uses_the_whole_video(charades: tuple[Path, Path]) -> None:
    csv, classes = charades
    data = CharadesDataset(csv, classes=classes, videos=csv.parent / "Charades", clip=ClipConfig(frames=2, size=16))
    assert data.labels == "video"
    assert data[0]["label"].tolist() == [1, 1, 0]


def test_charades_errors(charades: tuple[Path, Path], tmp_path: Path) -> None:
    csv, classes = charades
    bad = tmp_path / "bad.csv"
    bad.write_text('id,actions\nABC12,"c999 0 1"\n')
    with pytest.raises(LayoutError, match="bad Charades action 'c999 0 1'"):
        CharadesDataset(bad, classes=classes, videos=csv.parent / "Charades")


def test_dataloader_with_workers(clips: Path) -> None:
    csv = clips / "annotations.csv"
    csv.write_text("video,label\n" + "".join(f"clips/{n},{n[0]}\n" for n in ["a.mp4", "b.avi", "c.webm"] * 2))
    data = pickle.loads(pickle.dumps(VideoCsvDataset(csv, clip=CLIP)))  # as spawned workers get it
    batches = list(DataLoader(data, batch_size=3, num_workers=2, multiprocessing_context=WORKER_START))
    assert len(batches) == 2
    assert batches[0]["rgb"].shape == (3, 3, 4, 32, 32) and batches[0]["label"].tolist() == [0, 1, 2]
    assert len(batches[0]["video"]) == 3
