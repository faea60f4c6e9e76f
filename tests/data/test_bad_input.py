"""Broken data gets errors that name the file (and line), or warnings, never a crash elsewhere."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from anet.data.clip import ClipConfig, load_video_clip
from anet.data.decode import VideoDecodeError, VideoReader
from anet.data.layouts import LayoutError, read_csv_annotations
from anet.data.spec import DataSpecError, parse_data_spec
from anet.data.text import AnnotationEncodingError

Copy = Callable[[str, Path], Path]
CONTAINERS = (".mp4", ".avi", ".webm")  # the containers of the conftest segments


def test_an_annotation_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("video,label\nx.mp4,a\ny.mp4,caf\u00e9\n".encode("cp1252"))
    with pytest.raises(AnnotationEncodingError, match=rf"{path}:3:10: byte 0xe9 is not UTF-8"):
        read_csv_annotations(path)
    with pytest.raises(AnnotationEncodingError, match=r"a.csv:3:10"):
        parse_data_spec(f"csv:{path}")


def test_a_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("video,label\nx.mp4,a\n".encode("utf-8-sig"))
    assert read_csv_annotations(path)[0].video == "x.mp4"


def test_an_empty_video_name_names_its_line(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('video,label\nx.mp4,a\n"",b\n')
    with pytest.raises(LayoutError, match=rf"{path}:3: the video column is empty"):
        read_csv_annotations(path)


def test_a_row_without_label_warns_that_it_makes_the_data_multi_label(tmp_path, caplog):
    path = tmp_path / "a.csv"
    path.write_text("video,label\nx.mp4,a\ny.mp4,b\nz.mp4\n")
    with caplog.at_level(logging.WARNING, logger="anet"):
        spec = parse_data_spec(f"csv:{path}")
    assert spec.multi_label
    assert f"{path}:4: video z.mp4 has no label; 1 such row(s) make the whole data set multi-label" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="anet"):
        parse_data_spec(f"csv:{path},multilabel=true")  # said on purpose: no warning
        path.write_text("video,label\nx.mp4,a;b\ny.mp4,b\nz.mp4\n")
        parse_data_spec(f"csv:{path}")  # several labels somewhere: multi-label data with a negative
    assert caplog.text == ""


def test_a_class_folder_without_videos(tmp_path, copy_segment: Copy):
    copy_segment("bikes.mp4", tmp_path / "data" / "bikes" / "a.mp4")
    (tmp_path / "data" / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "data" / "empty" / "notes.txt").write_text("no videos here")
    with pytest.raises(DataSpecError, match=r"class folder 'empty' under .* has no videos"):
        parse_data_spec(f"folder:{tmp_path / 'data'}")


@pytest.mark.parametrize("suffix", CONTAINERS)
def test_a_truncated_video_is_a_decode_error_naming_it(tmp_path, copy_segment: Copy, suffix):
    path = copy_segment(f"bikes{suffix}", tmp_path / f"v{suffix}")
    data = path.read_bytes()
    for cut in (len(data) // 3, 2000, 0):
        path.write_bytes(data[:cut])
        try:
            with VideoReader(path) as reader:
                frames = reader.read(np.arange(30) / 25.0)
        except VideoDecodeError as error:
            assert str(path) in str(error) and error.path == str(path)
        else:  # what is left decodes: fewer frames, the last one repeated
            assert frames.shape[0] == 30


def test_a_video_shorter_than_the_clip_is_a_warning(tmp_path, copy_segment: Copy, caplog):
    path = copy_segment("bikes.mp4", tmp_path / "short.mp4")  # 1.2 s
    with caplog.at_level(logging.WARNING, logger="anet"):
        clip, _ = load_video_clip(path, ClipConfig(frames=32, size=32, fps=12.5))
        load_video_clip(path, ClipConfig(frames=32, size=32, fps=12.5))
        load_video_clip(path, ClipConfig(frames=8, size=32, fps=12.5))  # 0.64 s: fits
    assert clip["rgb"].shape[1] == 32
    assert caplog.text.count(f"{path} lasts 1.20 s, shorter than a 2.56 s clip") == 1


def test_a_broken_video_in_the_charades_and_frame_layouts_falls_under_the_policy(tmp_path, copy_segment: Copy):
    """Every layout reports an unreadable video as a `VideoDecodeError` naming it, which is what the
    bad-video policy catches (the folder and CSV layouts are covered through the command line)."""
    import cv2

    from anet.data.frames import FrameFolderDataset
    from anet.data.layouts import CharadesDataset
    from anet.training.unreadable import UNREADABLE, TolerantSamples

    clip = ClipConfig(frames=4, size=16)
    copy_segment("bikes.mp4", tmp_path / "Charades" / "ABC12.mp4")
    copy_segment("phone.webm", tmp_path / "Charades" / "XYZ34.webm")
    (tmp_path / "classes.txt").write_text("c000 Riding a bike\nc001 Talking on a phone\n")
    csv = tmp_path / "train.csv"
    csv.write_text('id,subject,scene,actions,length\nABC12,S1,Street,"c000 0.00 0.50",1.2\nXYZ34,S2,Office,,1.0\n')
    (tmp_path / "Charades" / "ABC12.mp4").write_bytes(b"not a video")
    charades = CharadesDataset(csv, classes=tmp_path / "classes.txt", videos=tmp_path / "Charades", clip=clip)

    for name in ("good", "bad"):
        (tmp_path / "frames" / name).mkdir(parents=True)
        for k in range(1, 9):
            cv2.imwrite(str(tmp_path / "frames" / name / f"img_{k:05d}.jpg"), np.full((24, 32, 3), 8 * k, np.uint8))
    (tmp_path / "frames" / "bad" / "img_00003.jpg").write_bytes(b"\x00" * 10)
    (tmp_path / "frames" / "list.txt").write_text("bad 8 0\ngood 8 1\n")
    frames = FrameFolderDataset(tmp_path / "frames" / "list.txt", clip=clip)

    for dataset, broken in ((charades, "ABC12.mp4"), (frames, "img_00003.jpg")):
        torch.manual_seed(0)
        with pytest.raises(VideoDecodeError) as raised:
            for _ in range(8):  # random clip starts: read until the broken frame is in the window
                dataset[0]
        assert broken in str(raised.value)
        item = TolerantSamples(dataset, substitutes=8)[0, 0]  # training reads the next video instead
        assert "rgb" in item and broken in item[UNREADABLE][0][1]
