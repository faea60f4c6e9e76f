"""Segmentation maps beside videos (anet.data.segmentation): found by the video's name, sampled at the
frames the RGB clip shows, cropped, flipped and resized with them, checked with messages that name
the file, and made one-hot for the model."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from anet.data.clip import ClipConfig, load_video_clip
from anet.data.decode import VideoDecodeError, VideoReader
from anet.data.encode import encoder_available, write_video
from anet.data.frames import IMAGE_TEMPLATE, FrameFolderDataset, require_cv2
from anet.data.layouts import LayoutError
from anet.data.segmentation import LabelMaps, SegmentationError, map_path, one_hot
from anet.data.spec import DataSpecError, parse_data_spec
from anet.data.transforms import resize_labels

Copy = Callable[[str, Path], Path]


def save_maps(video: Path, labels: np.ndarray) -> Path:
    path = map_path(video)
    np.savez_compressed(path, labels=labels)
    return path


def frame_count(video: Path) -> tuple[int, int, int]:
    """Frames, height and width of a video, counted by decoding it."""
    with VideoReader(video) as reader:
        frames = list(reader.frames())
    return len(frames), *frames[0].shape[:2]


@pytest.fixture
def gray_video(tmp_path: Path) -> Path:
    """20 flat frames at 25 fps, 48 x 64, frame k at level 8 + 12 k: a clip's frames say their numbers."""
    if not encoder_available("libx264"):
        pytest.skip("no libx264 encoder in this PyAV build")
    frames = np.stack([np.full((48, 64, 3), 8 + 12 * k, np.uint8) for k in range(20)])
    return write_video(tmp_path / "gray.mp4", frames, fps=25.0)


def test_maps_lie_beside_the_video_under_its_name() -> None:
    assert map_path("data/clip.mp4") == Path("data/clip.seg.npz")
    assert map_path("data/Clip.v2.MOV") == Path("data/Clip.v2.seg.npz")
    assert map_path("frames/walk/v1") == Path("frames/walk/v1.seg.npz")  # a frame folder


@pytest.mark.parametrize(("fps", "train"), [(None, False), (12.5, True), (10.0, False), (25.0, True)])
def test_maps_follow_the_frames_the_clip_shows(gray_video: Path, fps: float | None, train: bool) -> None:
    save_maps(gray_video, np.broadcast_to(np.arange(20, dtype=np.uint8)[:, None, None], (20, 12, 16)))  # 1/4 size
    config = ClipConfig(frames=6, size=16, fps=fps, train=train, objects=20)
    for seed in range(3):
        torch.manual_seed(seed)
        clip, _ = load_video_clip(gray_video, config)
        ids = clip["segmentation"]
        assert ids.shape == (6, 16, 16) and ids.dtype == torch.uint8
        assert all(len(frame.unique()) == 1 for frame in ids)
        shown = [round((float(level) * 255 - 8) / 12) for level in clip["rgb"].mean(dim=(0, 2, 3))]
        assert [int(frame[0, 0]) for frame in ids] == shown
        assert len(set(shown)) == 6


@pytest.mark.parametrize("train", [True, False])
def test_maps_are_cropped_flipped_and_resized_with_the_frames(tmp_path: Path, train: bool) -> None:
    if not encoder_available("libx264"):
        pytest.skip("no libx264 encoder in this PyAV build")
    y, x = np.mgrid[:48, :64]
    bright = (x < 26) | (y < 12)  # an L: a flip of either axis or a shifted crop would show
    frames = np.repeat(np.where(bright, 230, 20).astype(np.uint8)[None, :, :, None], 3, axis=3)
    video = write_video(tmp_path / "shape.mp4", np.repeat(frames, 6, axis=0), fps=25.0)
    labels = bright[::2, ::2].astype(np.uint8)  # half size, the same boundaries
    save_maps(video, np.repeat(labels[None], 6, axis=0))
    config = ClipConfig(frames=3, size=24, train=train, flip=0.5, objects=2)
    flipped = set()
    for seed in range(8):
        torch.manual_seed(seed)
        clip, _ = load_video_clip(video, config)
        level, ids = clip["rgb"].mean(dim=0), clip["segmentation"]
        clear = (level - 0.5).abs() > 0.3  # away from the edges the codec and resizing blur
        assert float(((level > 0.5) == (ids == 1))[clear].float().mean()) > 0.99
        assert float(clear.float().mean()) > 0.7
        flipped.add(bool(ids[0, -1, 0] == 0))  # the L's corner is top left, unflipped
    assert flipped == ({False, True} if train else {False})


def test_a_video_layout_with_maps_on_real_clips(tmp_path: Path, copy_segment: Copy) -> None:
    root = tmp_path / "videos"
    names = {"train": [("bikes", "bikes.mp4"), ("phone", "phone.avi")], "val": [("bikes", "bikes.webm")]}
    written = {}
    for split, videos in names.items():
        for k, (label, segment) in enumerate(videos):
            video = copy_segment(segment, root / split / label / f"{k}{Path(segment).suffix}")
            count, height, width = frame_count(video)
            rng = np.random.default_rng(k)
            written[video] = rng.integers(0, 5, (count, height // 4, round(width / 4)), dtype=np.uint8)
            save_maps(video, written[video])
    spec = parse_data_spec(f"folder:{root},objects=5,frames=4,size=32")
    assert spec.objects == 5 and spec.clip_config("train").objects == 5
    train = spec.dataset("train")
    item = train[1]
    assert item["segmentation"].shape == (4, 32, 32) and item["segmentation"].dtype == torch.uint8
    assert set(item["segmentation"].unique().tolist()) <= set(np.unique(written[Path(item["video"])]).tolist())
    batch = next(iter(DataLoader(train, batch_size=2)))
    assert batch["segmentation"].shape == (2, 4, 32, 32) and batch["rgb"].shape == (2, 3, 4, 32, 32)
    assert "segmentation" not in parse_data_spec(f"folder:{root},frames=4,size=32").dataset("val")[0]

    video = next(iter(written))
    map_path(video).unlink()
    with pytest.raises(DataSpecError, match=re.escape(f"1 of 2 videos have none: {map_path(video)}")):
        spec.dataset("train")


def test_a_video_list_with_maps(tmp_path: Path, copy_segment: Copy) -> None:
    video = copy_segment("phone.mp4", tmp_path / "clips" / "phone.mp4")
    count, height, width = frame_count(video)
    save_maps(video, np.ones((count, height, width), np.uint16))  # uint16 ids, full size
    (tmp_path / "train_list.txt").write_text("clips/phone.mp4 1\n")
    (tmp_path / "val_list.txt").write_text("clips/phone.mp4 0\n")
    item = parse_data_spec(f"list:{tmp_path / 'train_list.txt'},objects=300,size=16").dataset("val")[0]
    assert item["segmentation"].shape == (8, 16, 16) and item["segmentation"].dtype == torch.int32
    assert bool((item["segmentation"] == 1).all())


def test_frame_folders_with_maps(tmp_path: Path) -> None:
    cv2 = require_cv2()
    folder = tmp_path / "walk" / "v1"
    folder.mkdir(parents=True)
    for k in range(8):
        cv2.imwrite(str(folder / IMAGE_TEMPLATE.format(k + 1)), np.full((24, 32, 3), 20 + 25 * k, np.uint8))
    (tmp_path / "list.txt").write_text("walk/v1 8 0\n")
    save_maps(folder, np.broadcast_to(np.arange(8, dtype=np.uint8)[:, None, None], (8, 6, 8)))
    data = FrameFolderDataset(tmp_path / "list.txt", clip=ClipConfig(frames=4, size=16, objects=8))
    item = data[0]
    shown = [round((float(level) * 255 - 20) / 25) for level in item["rgb"].mean(dim=(0, 2, 3))]
    assert shown == [2, 3, 4, 5] and [int(frame.float().mean()) for frame in item["segmentation"]] == shown

    save_maps(folder, np.zeros((9, 6, 8), np.uint8))  # a frame folder's count is exact
    with pytest.raises(SegmentationError, match=r"v1\.seg\.npz has 9 frames of maps, but .*v1 has 8 frames"):
        data[0]
    map_path(folder).unlink()
    with pytest.raises(LayoutError, match=r"objects=8 reads segmentation maps .* 1 of 1 videos have none"):
        FrameFolderDataset(tmp_path / "list.txt", clip=ClipConfig(frames=4, size=16, objects=8))


def write_npz(path: Path, **arrays: np.ndarray) -> None:
    with path.open("wb") as file:
        np.savez(file, **arrays)


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda p: write_npz(p, labels=np.zeros((28, 16, 37), np.uint8)), r"has 28 frames of maps, but .* has 30"),
        (lambda p: write_npz(p, labels=np.zeros((29, 16, 37), np.uint8)), None),  # a frame either way is fine
        (lambda p: write_npz(p, labels=np.zeros((31, 16, 37), np.uint8)), None),
        (lambda p: write_npz(p, labels=np.zeros((32, 16, 37), np.uint8)), r"has 32 frames of maps, but .* has 30"),
        (lambda p: write_npz(p, labels=np.full((30, 16, 37), 5, np.uint8)), r"class id 5, .* objects=5 \(ids 0 to 4\)"),
        (lambda p: write_npz(p, labels=np.full((30, 16, 37), -1, np.int8)), r"has class id -1"),
        (lambda p: write_npz(p, labels=np.zeros((30, 16, 16), np.uint8)), r"16x16, but .* is 150x64: .*aspect ratio"),
        (lambda p: write_npz(p, labels=np.zeros((30, 16, 37), np.float32)), r"integer class ids, got float32"),
        (lambda p: write_npz(p, labels=np.zeros((16, 37), np.uint8)), r"\[frames, height, width\], got shape"),
        (lambda p: write_npz(p, ids=np.zeros((30, 16, 37), np.uint8)), r"has no array `labels` \(it holds ids\)"),
        (lambda p: np.save(p.open("wb"), np.zeros((30, 16, 37), np.uint8)), r"is not an \.npz archive"),
        (lambda p: p.write_text("not maps"), r"cannot read segmentation maps"),
    ],
)
def test_maps_that_do_not_fit_name_the_file(
    tmp_path: Path, copy_segment: Copy, write: Callable[[Path], None], message: str | None
) -> None:
    video = copy_segment("bikes.mp4", tmp_path / "bikes.mp4")  # 30 frames of 150 x 64
    write(map_path(video))
    config = ClipConfig(frames=4, size=16, objects=5)
    if message is None:
        assert load_video_clip(video, config)[0]["segmentation"].shape == (4, 16, 16)
        return
    with pytest.raises(SegmentationError, match=message) as raised:
        load_video_clip(video, config)
    assert isinstance(raised.value, VideoDecodeError)  # skipped as an unreadable video in training
    assert raised.value.path == str(map_path(video)) and str(map_path(video)) in str(raised.value)


def test_a_missing_map_is_named(tmp_path: Path, copy_segment: Copy) -> None:
    video = copy_segment("bikes.mp4", tmp_path / "bikes.mp4")
    with pytest.raises(SegmentationError, match=re.escape(f"segmentation maps {map_path(video)} do not exist")):
        load_video_clip(video, ClipConfig(frames=4, size=16, objects=5))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("proxy:objects=2", r"the proxy's segmentation maps have 3 classes \(background, actor, distractor\)"),
        ("proxy:objects=1", r"option objects=1 in 'proxy:objects=1' must be at least 2"),
        ("folder:/no/such,objects=x", r"option objects='x' .* is not int"),
    ],
)
def test_bad_object_options(spec: str, message: str) -> None:
    with pytest.raises(DataSpecError, match=message):
        parse_data_spec(spec)


def test_labels_resize_by_nearest_neighbour_like_torch() -> None:
    ids = torch.tensor([[0, 1], [2, 3]], dtype=torch.uint8)
    assert resize_labels(ids, (4, 4)).tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]
    generator = torch.Generator().manual_seed(0)
    for (h, w), (out_h, out_w) in itertools.product([(7, 9), (16, 12)], [(5, 5), (16, 24), (33, 10)]):
        labels = torch.randint(0, 151, (3, h, w), generator=generator, dtype=torch.int32)
        reference = F.interpolate(labels[None].double(), size=(out_h, out_w), mode="nearest-exact")[0]
        assert torch.equal(resize_labels(labels, (out_h, out_w)), reference.int())


def test_one_hot_maps() -> None:
    ids = torch.randint(0, 7, (2, 3, 4, 5), dtype=torch.uint8)
    maps = one_hot(ids, 7)
    assert maps.shape == (2, 7, 3, 4, 5) and maps.dtype == torch.float32
    assert torch.equal(maps.sum(dim=1), torch.ones(2, 3, 4, 5)) and torch.equal(maps.argmax(dim=1), ids.long())


def test_label_maps_keep_memory_small(tmp_path: Path) -> None:
    path = tmp_path / "a.seg.npz"
    write_npz(path, labels=np.full((2, 3, 4), 200, np.int64))
    assert LabelMaps.read(path, classes=256).labels.dtype == np.uint8
    assert LabelMaps.read(path, classes=257).labels.dtype == np.int32
