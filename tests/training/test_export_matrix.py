"""Every kind of network the header can describe exports to ONNX and TorchScript and computes, in
onnxruntime and in torch.jit, what the PyTorch model computes.

The matrix is the product of the settings that change the exported graph: the flow (`computed`,
the single-scale layer; `pyramid`, the coarse-to-fine one; `input`), the edges (`fixed` weights are
buffers, `learned` ones parameters), and an object stem (a third input, `segmentation`); three
more cases add AssembleNet++ attention (peer and self). Each case
is one tiny network (4-8 channels, all four levels) exported by `anet.training.export.export_model`,
as `anet export` does, at 48 x 48 pixels and 3 frames, then run on other batch sizes and frame
counts than the trace's.

The inputs are real: a photograph (scikit-image's astronaut) moving by a known step per frame, that
motion as the flow input, and a segmentation of the photograph into intensity classes. The flow
layers run few iterations (every iteration is the same block of operations, unrolled into the
graph); the pyramid runs two levels, the first reached by a resize that does not divide (48 px at
resolution 0.75 is 36 px), which ONNX's adaptive pooling cannot express.

Tolerance: 1e-4 (absolute and relative) on logits of order 1 (0.6-1.5). The exported graphs run
the flow layers' functional path, which rounds differently from the in-place loop eager inference
takes; measured: at most 5e-7 in onnxruntime, 3e-7 in torch.jit. An export whose area resize took
windows one pixel short (the pyramid's, under ONNX) was 0.04 off.
"""

from __future__ import annotations

import inspect
import itertools
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from realistic_weights import realistic_eval
from skimage import data, transform

from anet import paper
from anet.compiler import compile_to_module
from anet.dsl import Network, parse
from anet.errors import UserError
from anet.runtime import PyramidFlow, RepresentationFlow
from anet.training import export
from anet.training.export import export_model, input_names

pytestmark = [
    pytest.mark.slow,
    # torch marks jit.trace and the TorchScript-based ONNX exporter deprecated; tracing warns that it
    # records frame sizes as constants, which the export documents.
    pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning", "ignore::DeprecationWarning", "ignore::UserWarning"),
]

SIZE, FRAMES, CLASSES, SEGMENTS = 48, 3, 3, 5
TOLERANCE = {"rtol": 1e-4, "atol": 1e-4}
FLOWS = ("computed", "pyramid", "input")
EDGES = ("fixed", "learned")
OBJECT_STEM = (False, True)
# AssembleNet++ attention adds per-frame means, small dense layers and gates to the graph; a few
# cases cover it rather than the whole product again.
ATTENTION = [("input", "learned", True, "peer"), ("input", "fixed", True, "self"), ("computed", "fixed", False, "peer")]
CASES = [(*c, "none") for c in itertools.product(FLOWS, EDGES, OBJECT_STEM)] + ATTENTION


def network_text(flow: str, edges: str, object_stem: bool, attention: str = "none") -> str:
    pyramid = "  pyramid scales=2 warps=1 iterations=2 resolution=0.75\n" if flow == "pyramid" else ""
    stem, edge = ("stem o in=[object] C=5 r=1\n", ", o@0.8") if object_stem else ("", "")
    attend = f"  attention {attention}\n" if attention != "none" else ""
    return (
        f"network matrix\n  classes {CLASSES}\n  depth [1, 1, 1, 1]\n  edges {edges}\n  flow {flow}\n"
        f"{attend}{pyramid}\n"
        f"stem r in=[rgb] C=4 r=1\nstem f in=[flow] C=4 r=1\n{stem}"
        f"block a level=1 in=[r@0.3, f@0.6{edge}] C=4 r=1\n"
        "block d level=4 in=[a@0.9, r@0.2] C=8 r=2 stride=2\n"
    )


def real_inputs(network: Network, batch: int, frames: int) -> tuple[torch.Tensor, ...]:
    """The clips `network` reads: the photograph moving (2 + i, -1) px per frame in clip i, that
    motion as flow, and the photograph's intensity classes one-hot."""
    photo = transform.resize(data.astronaut(), (SIZE + 64, SIZE + 64), anti_aliasing=True)  # [H, W, 3] in [0, 1]
    rgb, flow = [], []
    for i in range(batch):
        dx, dy = 2 + i, -1
        frames_ = [photo[32 - t * dy : 32 - t * dy + SIZE, 32 - t * dx : 32 - t * dx + SIZE] for t in range(frames)]
        rgb.append(torch.from_numpy(np.stack(frames_)).float().permute(3, 0, 1, 2))
        flow.append(torch.tensor([dx, dy], dtype=torch.float32).view(2, 1, 1, 1).expand(2, frames, SIZE, SIZE))
    grey = torch.stack(rgb).mean(dim=1)  # [B, T, H, W]
    classes = (grey * SEGMENTS).long().clamp(max=SEGMENTS - 1)
    segmentation = torch.nn.functional.one_hot(classes, SEGMENTS).permute(0, 4, 1, 2, 3).float()
    clips = {"rgb": torch.stack(rgb), "flow": torch.stack(flow), "segmentation": segmentation}
    return tuple(clips[name] for name in input_names(network))


def case_id(flow: str, edges: str, object_stem: bool, attention: str) -> str:
    return "-".join([flow, edges, "object" if object_stem else "False"] + ([attention] if attention != "none" else []))


@pytest.fixture(scope="module", params=CASES, ids=[case_id(*c) for c in CASES])
def case(request):
    flow, edges, object_stem, attention = request.param
    text = network_text(flow, edges, object_stem, attention)
    network = parse(text, "matrix.anet")
    torch.manual_seed(0)
    model = compile_to_module(network, text, "matrix.anet").build_model()
    if isinstance(getattr(model, "flow", None), RepresentationFlow):
        model.flow.iterations = 2  # of 40 (module docstring)
    model = realistic_eval(model, *real_inputs(network, 2, FRAMES))
    fusion = model.fuse_a if attention == "none" else model.fuse_a.fusion
    assert isinstance(fusion.logits, torch.nn.Parameter) == (edges == "learned")
    assert {"computed": RepresentationFlow, "pyramid": PyramidFlow, "input": type(None)}[flow] is type(
        getattr(model, "flow", None)
    )
    return network, model


def expected(model: torch.nn.Module, clips: tuple[torch.Tensor, ...]) -> torch.Tensor:
    with torch.no_grad():
        logits = model(*clips)
    assert logits.abs().max() > 0.1  # outputs of order 1, so that the tolerance means something
    assert len(logits) == 1 or (logits[0] - logits[-1]).abs().max() > 1e-2  # and they differ between clips
    return logits


@pytest.fixture(scope="module")
def exported(case, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    network, model = case
    folder = tmp_path_factory.mktemp("export")
    return {
        fmt: export_model(model, network, folder / f"m.{fmt}", fmt, frames=FRAMES, sizes=[SIZE])
        for fmt in ("onnx", "torchscript")
    }


def test_onnx_matches_pytorch_in_onnxruntime(case, exported) -> None:
    network, model = case
    onnx.checker.check_model(onnx.load(exported["onnx"]))
    session = ort.InferenceSession(exported["onnx"].read_bytes(), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == input_names(network)
    for batch, frames in [(2, FRAMES), (1, 5)]:  # the trace's, and others
        clips = real_inputs(network, batch, frames)
        (got,) = session.run(None, dict(zip(input_names(network), (c.numpy() for c in clips), strict=True)))
        np.testing.assert_allclose(got, expected(model, clips).numpy(), **TOLERANCE)


def test_torchscript_matches_pytorch_positionally_and_by_name(case, exported) -> None:
    network, model = case
    loaded = torch.jit.load(exported["torchscript"])
    for batch, frames in [(2, FRAMES), (1, 5)]:
        clips = real_inputs(network, batch, frames)
        want = expected(model, clips)
        with torch.no_grad(), torch.jit.optimized_execution(False):
            torch.testing.assert_close(loaded(*clips), want, **TOLERANCE)
            named = loaded(**dict(zip(input_names(network), clips, strict=True)))
        torch.testing.assert_close(named, want, **TOLERANCE)
    with pytest.raises(torch.jit.Error, match="this export takes"):
        loaded(*clips, clips[0]) if len(clips) < 3 else loaded(clips[0])


def test_torchscript_arguments_are_the_inputs_a_network_can_read() -> None:
    """`_BySize.forward` names them in TorchScript, which needs them written out: the language's."""
    names = list(inspect.signature(export._BySize.forward).parameters)[1:]
    assert names == list(dict.fromkeys(paper.STEM_INPUTS.values()))


def test_one_frame_trace_of_a_flow_layer_is_refused(tmp_path: Path) -> None:
    network = parse(network_text("computed", "fixed", False))
    model = compile_to_module(network, network_text("computed", "fixed", False), None).build_model()
    with pytest.raises(UserError, match=r"--frames 1: matrix computes flow .* --frames 2 or more"):
        export_model(model, network, tmp_path / "m.onnx", "onnx", frames=1, sizes=[SIZE])
    assert not (tmp_path / "m.onnx").exists()


def test_weights_beyond_the_onnx_limit_are_refused_with_the_way_out(tmp_path: Path) -> None:
    network = parse(network_text("input", "fixed", False))
    huge = torch.nn.Linear(2**16, 2**13, device="meta")  # 2 GiB of float32, never allocated
    with pytest.raises(UserError, match=r"2\.0 GiB of weights.*--format torchscript"):
        export_model(huge, network, tmp_path / "m.onnx", "onnx", frames=FRAMES, sizes=[SIZE])


def test_an_exporter_failure_stays_a_bug_with_a_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Not a UserError (exit 3: anet generated the code), but it says that TorchScript may work."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise torch.onnx.errors.OnnxExporterError("Unsupported: ONNX export of operator x\n[graph dump]")

    monkeypatch.setattr(torch.onnx, "export", refuse)
    network = parse(network_text("input", "fixed", False))
    model = compile_to_module(network, network_text("input", "fixed", False), None).build_model()
    with pytest.raises(export.OnnxExportError, match=r"\(Unsupported: ONNX export of operator x\); --format torch"):
        export_model(model, network, tmp_path / "m.onnx", "onnx", frames=FRAMES, sizes=[SIZE])
    assert not issubclass(export.OnnxExportError, UserError)
