"""Every user mistake of issue 11 through the command line: exit 1 (or 2 for usage) with a message that
names the file, line or option at fault; never "internal error" (exit 3) and never a traceback.

Most cases run in-process with click's CliRunner, which records an escaping exception in
`result.exception` (so checking that it is a `SystemExit` with code 1 or 2 is a real check); a
representative set runs the installed console script in a subprocess and checks its stderr.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner, Result

from anet.cli.main import anet
from anet.data.encode import write_video

ROOT = Path(__file__).parents[2]
NETWORK = str(ROOT / "examples" / "two_stream_late_fusion.anet")
OTHER_NETWORK = str(ROOT / "examples" / "assemblenet50.anet")
SMALL = ["--iterations", "2", "--batch-size", "2", "--width", "0.0625", "--frames", "4", "--size", "16"]
SMALL += ["--precision", "fp32"]
CONSOLE = Path(sys.executable).with_name("anet")


def run(*args: str) -> Result:
    return CliRunner().invoke(anet, list(args))


def assert_user_error(result: Result, *names: str, code: int = 1) -> None:
    """Exit `code` by the error policy (SystemExit, not an escaped exception), message naming `names`."""
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == code, result.output
    assert "internal error" not in result.output
    for name in names:
        assert name in result.output, (name, result.output)


def video(path: Path, seed: int = 0) -> Path:
    """A real 1 s H.264 video of 12 frames of 32 x 32 px."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = np.random.default_rng(seed).integers(0, 255, (12, 32, 32, 3), dtype=np.uint8)
    return write_video(path, frames, fps=12)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {f"{c}{i}": video(folder / c / f"{c}{i}.mp4", seed=i) for c in "ab" for i in range(3)}


def class_folders(root: Path, clips: dict[str, Path]) -> Path:
    for name, source in clips.items():
        (root / name[0]).mkdir(parents=True, exist_ok=True)
        shutil.copy(source, root / name[0] / source.name)
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, clips: dict[str, Path]) -> tuple[Path, Path]:
    """A checkpoint of NETWORK trained on two classes of real video, and that data's folder."""
    root = class_folders(tmp_path_factory.mktemp("data"), clips)
    out = tmp_path_factory.mktemp("run")
    result = run("train", NETWORK, "--data", f"folder:{root}", "--out", str(out), *SMALL)
    assert result.exit_code == 0, result.output
    return out / "checkpoint.pt", root


# --- video data ---------------------------------------------------------------------------------


def test_a_class_folder_without_videos(tmp_path, clips):
    root = class_folders(tmp_path / "data", clips)
    (root / "empty").mkdir()
    assert_user_error(run("train", NETWORK, "--data", f"folder:{root}", "--out", str(tmp_path / "o"), *SMALL), "empty")


def test_only_empty_class_folders(tmp_path):
    (tmp_path / "data" / "a").mkdir(parents=True)
    result = run("train", NETWORK, "--data", f"folder:{tmp_path / 'data'}", "--out", str(tmp_path / "o"), *SMALL)
    assert_user_error(result, "'a'", "has no videos")


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(b""), id="zero-length"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:3000]), id="truncated"),
        pytest.param(lambda p: p.write_text("this is not a video\n"), id="not-a-video"),
        pytest.param(lambda p: p.unlink(), id="missing"),
    ],
)
def test_an_unreadable_video_past_the_limit_names_the_file(tmp_path, clips, damage):
    root = class_folders(tmp_path / "data", clips)
    damage(root / "b" / "b1.mp4")
    args = ["train", NETWORK, "--data", f"csv:{_csv(root)}", "--out", str(tmp_path / "o"), *SMALL]
    assert_user_error(run(*args), "b1.mp4", "--max-bad-videos")


@pytest.mark.slow  # trains
def test_unreadable_videos_within_the_limit_are_skipped_with_a_warning(tmp_path, clips):
    root = class_folders(tmp_path / "data", clips)
    (root / "a" / "a1.mp4").write_bytes(b"")
    args = ["train", NETWORK, "--data", f"folder:{root}", "--out", str(tmp_path / "o"), *SMALL]
    result = run(*args, "--max-bad-videos", "0.5", "--iterations", "4")
    assert result.exit_code == 0, result.output
    assert "anet: warning: skipped an unreadable" in result.output and "a1.mp4" in result.output
    assert (tmp_path / "o" / "checkpoint.pt").is_file()


def test_max_bad_videos_is_a_share(tmp_path):
    assert_user_error(
        run("train", NETWORK, "--out", str(tmp_path), "--max-bad-videos", "2"), "--max-bad-videos", "0<=x<=1", code=2
    )


def _csv(root: Path, rows: str | None = None, name: str = "videos.csv") -> Path:
    path = root / name
    path.write_text(
        rows
        or "video,label,split\na/a0.mp4,a,train\na/a2.mp4,a,train\nb/b0.mp4,b,train\nb/b1.mp4,b,train\n"
        "a/a1.mp4,a,val\nb/b2.mp4,b,val\n"
    )
    return path


# --- CSV annotations ----------------------------------------------------------------------------


def test_a_csv_that_is_not_utf8_names_file_line_and_column(tmp_path, clips):
    root = class_folders(tmp_path / "data", clips)
    path = root / "latin1.csv"
    path.write_bytes("video,label,split\na/a0.mp4,caf\u00e9,train\nb/b0.mp4,b,val\n".encode("latin-1"))
    result = run("train", NETWORK, "--data", f"csv:{path}", "--out", str(tmp_path / "o"), *SMALL)
    assert_user_error(result, "latin1.csv:2:13", "0xe9", "UTF-8")


def test_an_empty_video_name_names_the_row(tmp_path, clips):
    root = class_folders(tmp_path / "data", clips)
    path = _csv(root, "video,label,split\na/a0.mp4,a,train\n,b,train\nb/b0.mp4,b,val\n")
    result = run("train", NETWORK, "--data", f"csv:{path}", "--out", str(tmp_path / "o"), *SMALL)
    assert_user_error(result, "videos.csv:3", "empty")


def test_a_csv_without_validation_rows(tmp_path, clips):
    root = class_folders(tmp_path / "data", clips)
    path = _csv(root, "video,label,split\na/a0.mp4,a,train\nb/b0.mp4,b,train\n")
    result = run("train", NETWORK, "--data", f"csv:{path}", "--out", str(tmp_path / "o"), *SMALL)
    assert_user_error(result, "videos.csv", "no rows with split 'val'")


@pytest.mark.slow  # trains
def test_a_row_without_a_label_is_a_warning_that_names_it(tmp_path, clips):
    root = class_folders(tmp_path / "data", clips)
    path = _csv(
        root,
        "video,label,split\na/a0.mp4,a,train\nb/b0.mp4\na/a2.mp4,a,train\nb/b1.mp4,b,train\na/a1.mp4,a,val\n"
        "b/b2.mp4,b,val\n",
    )
    result = run("train", NETWORK, "--data", f"csv:{path}", "--out", str(tmp_path / "o"), *SMALL)
    assert result.exit_code == 0, result.output
    assert "anet: warning: " in result.output and "videos.csv:3" in result.output and "multi-label" in result.output


def test_a_frames_option_the_frames_cannot_honour(tmp_path):
    folder = tmp_path / "clip"
    folder.mkdir()
    cv2 = pytest.importorskip("cv2")
    for k in range(1, 5):
        cv2.imwrite(str(folder / f"img_{k:05d}.jpg"), np.zeros((16, 16, 3), np.uint8))
    (tmp_path / "list.txt").write_text("clip 4 0\nclip 4 1\n")
    result = run("train", NETWORK, "--data", f"frames:{tmp_path / 'list.txt'},fps=5", "--out", str(tmp_path / "o"))
    assert_user_error(result, "fps=5", "source_fps")


# --- devices --------------------------------------------------------------------------------------


@pytest.mark.parametrize("device", ["gpu", "cuda:99", "tpu0"])
def test_a_device_that_is_not_there(tmp_path, device):
    result = run("train", NETWORK, "--out", str(tmp_path), "--data", "proxy:train=4,val=4", *SMALL, "--device", device)
    assert_user_error(result, f"--device {device}")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda(tmp_path):
    result = run("eval", NETWORK, "--checkpoint", NETWORK, "--device", "cuda")
    assert_user_error(result)  # the checkpoint is checked first; then the device
    result = run("train", NETWORK, "--out", str(tmp_path), "--data", "proxy:train=4,val=4", *SMALL, "--device", "cuda")
    assert_user_error(result, "--device cuda", "no CUDA")


# --- checkpoints ----------------------------------------------------------------------------------


def test_resume_with_another_width_is_one_clear_line(tmp_path, trained):
    checkpoint, root = trained
    out = tmp_path / "o"
    out.mkdir()
    shutil.copy(checkpoint, out / "checkpoint.pt")
    args = ["train", NETWORK, "--data", f"folder:{root}", "--out", str(out), "--resume", *SMALL]
    result = run(*args, "--width", "0.125")
    assert_user_error(result, str(out / "checkpoint.pt"), "width 0.0625")
    assert len(result.output.strip().splitlines()) == 1 and "size mismatch" not in result.output


def test_resume_with_other_data(tmp_path, trained, clips):
    checkpoint, _ = trained
    root = class_folders(tmp_path / "data", clips)
    shutil.copytree(root / "a", root / "c")
    out = tmp_path / "o"
    out.mkdir()
    shutil.copy(checkpoint, out / "checkpoint.pt")
    result = run("train", NETWORK, "--data", f"folder:{root}", "--out", str(out), "--resume", *SMALL)
    assert_user_error(result, "checkpoint.pt", "head.fc.weight", "on data 'folder:")
    assert len(result.output.strip().splitlines()) == 1


def test_eval_with_the_wrong_network(trained):
    checkpoint, root = trained
    result = run("eval", OTHER_NETWORK, "--checkpoint", str(checkpoint), "--data", f"folder:{root}")
    assert_user_error(result, str(checkpoint), "another architecture", OTHER_NETWORK)


def _flip_tensor_bytes(path: Path) -> None:
    """Flip 64 bytes in the middle of the largest tensor stored in a checkpoint (a zip of records)."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        info = max((i for i in archive.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    data = bytearray(path.read_bytes())
    header = info.header_offset
    name_length = int.from_bytes(data[header + 26 : header + 28], "little")
    extra_length = int.from_bytes(data[header + 28 : header + 30], "little")
    start = header + 30 + name_length + extra_length + info.file_size // 2
    data[start : start + 64] = bytes(b ^ 0xFF for b in data[start : start + 64])
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(_flip_tensor_bytes, id="flipped-tensor-bytes"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), id="truncated"),
        pytest.param(lambda p: p.write_bytes(b""), id="emptied"),
        pytest.param(lambda p: p.write_text("model weights\n"), id="text"),
        pytest.param(lambda p: p.write_bytes(b"PK\x03\x04" + bytes(200)), id="bad-zip"),
        pytest.param(lambda p: torch.save({"weights": torch.zeros(3)}, p), id="not-anet"),
    ],
)
def test_a_damaged_checkpoint_is_refused_by_eval_and_resume(tmp_path, trained, damage):
    checkpoint, root = trained
    out = tmp_path / "o"
    out.mkdir()
    broken = out / "checkpoint.pt"
    shutil.copy(checkpoint, broken)
    damage(broken)
    assert_user_error(run("eval", NETWORK, "--checkpoint", str(broken), "--data", f"folder:{root}"), str(broken))
    result = run("train", NETWORK, "--data", f"folder:{root}", "--out", str(out), "--resume", *SMALL)
    assert_user_error(result, str(broken))


def test_a_network_file_as_checkpoint(trained):
    _, root = trained
    result = run("eval", NETWORK, "--checkpoint", NETWORK, "--data", f"folder:{root}")
    assert_user_error(result, NETWORK, "not a readable checkpoint")


# --- .anet files ----------------------------------------------------------------------------------

NODES = "\nstem 0 in=[rgb] C=8 r=1\nblock 1 level=4 in=[0] C=8 r=1\n"


@pytest.mark.parametrize(
    ("header", "where", "message"),
    [
        ("  classes " + "9" * 5000, ":2:11:", "5000 digits"),
        ("  classes 1000000000000", ":2:11:", "classes 1000000000000 is more than 100000"),
        ("  classes 3\n  depth [1000000000, 1, 1, 1]", ":3:9:", "more than 64"),
        ("  classes 3\n  clip frames=1000000000000", ":3:15:", "frames 1000000000000 is more than 1024"),
        ("  classes 3\n  fitness 1e999", ":3:11:", "finite"),
    ],
)
def test_anet_numbers_out_of_bounds_are_located(tmp_path, header, where, message):
    path = tmp_path / "n.anet"
    path.write_text(f"network n\n{header}\n{NODES}")
    for command in ("check", "info", "fmt"):
        assert_user_error(run(command, str(path)), f"n.anet{where}", message)


def test_comments_with_odd_line_breaks_keep_error_lines(tmp_path):
    path = tmp_path / "c.anet"
    path.write_text("network c\n  classes 3\n# a\fb\x1cc\u2028d\re\n\nstem 0 in=[rgb] C=8 r=1 strid=2\n")
    result = run("check", str(path))
    assert_user_error(result, "c.anet:5:25: error[E100]: unexpected 'strid'")
    assert result.output.count("error[") == 1  # nothing on lines 3-4


# --- the installed console script -----------------------------------------------------------------


@pytest.mark.slow  # six console-script processes
@pytest.mark.skipif(not CONSOLE.is_file(), reason="the console script is not installed next to this Python")
def test_the_console_script_reports_user_errors_without_traceback(tmp_path, trained):
    checkpoint, root = trained
    text_checkpoint = tmp_path / "text.pt"
    text_checkpoint.write_text("not a checkpoint\n")
    flipped = tmp_path / "flipped.pt"
    shutil.copy(checkpoint, flipped)
    _flip_tensor_bytes(flipped)
    huge = tmp_path / "huge.anet"
    huge.write_text("network n\n  classes " + "9" * 5000 + "\n" + NODES)
    bad_video = tmp_path / "bad-video"
    shutil.copytree(root, bad_video)
    (bad_video / "b" / "b0.mp4").write_bytes(b"\x00" * 100)
    cases = [
        (["eval", NETWORK, "--checkpoint", str(text_checkpoint)], 1, str(text_checkpoint)),
        (["eval", NETWORK, "--checkpoint", str(flipped), "--data", f"folder:{root}"], 1, "damaged"),
        (["check", str(huge)], 1, "huge.anet:2:11"),
        (["train", NETWORK, "--data", f"folder:{bad_video}", "--out", str(tmp_path / "o"), *SMALL], 1, "b0.mp4"),
        (["train", NETWORK, "--out", str(tmp_path / "d"), "--device", "gpu"], 1, "--device"),
        (["train", NETWORK, "--out", str(tmp_path / "d"), "--iterations", "0"], 2, "--iterations"),
    ]
    for args, code, name in cases:
        proc = subprocess.run([str(CONSOLE), *args], capture_output=True, text=True, timeout=120)
        assert proc.returncode == code, (args, proc.stderr)
        assert name in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr + proc.stdout and "internal error" not in proc.stderr
