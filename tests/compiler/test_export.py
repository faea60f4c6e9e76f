"""The generated AssembleNet-50 under torch.jit.trace, torch.compile and ONNX export matches eager PyTorch.

Two variants of the published file cover the four code paths: as published (fixed edge weights,
buffers; average pooling over time) and with learned edge weights (parameters) and `pool max`
(the head's softmax-weighted temporal max). Narrowed to width 0.125, on 2 x 4 x 32 x 32 clips.

Cost: on the shared 2-core machine tracing this model takes about 3 s, an ONNX export 7-10 s and a
torch.compile (aot_eager, dynamo tracing about 1,500 operations) 15 s, so compile runs on one
variant only: the learned one, as training compiles models with learned edges (the generated
forward is the same text for both; they differ in `trainable=` and the head's `pool=`).

The flow layer runs 2 TV-L1 iterations instead of 40 here (``model.flow.iterations``, a plain
Python int): every iteration is the same block of operations, unrolled into the traced, compiled
or exported graph, and 40 copies cost 10-20 s more per export without covering anything new
(tests/runtime/test_flow.py traces, compiles and exports the layer with its loop on its own).
"""

from __future__ import annotations

import io

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

# Tracing records frame sizes as constants (said so in the runtime); torch marks jit.trace and the
# TorchScript-based ONNX exporter deprecated, but they are what this torch offers without onnxscript.
pytestmark = pytest.mark.filterwarnings(
    "ignore::torch.jit.TracerWarning", "ignore::DeprecationWarning", "ignore::UserWarning"
)

VARIANTS = {
    "published": {},
    "learned_max": {"edges": "learned", "pool": "max"},
}
CLASSES = 7


def clip(batch: int, frames: int, seed: int) -> torch.Tensor:
    return torch.rand(batch, 3, frames, 32, 32, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module", params=list(VARIANTS))
def case(request, variant, realistic_eval):
    settings = VARIANTS[request.param]
    torch.manual_seed(0)
    model = variant("assemblenet50", **settings).build_model(num_classes=CLASSES, width=0.125)
    model.flow.iterations = 2
    rgb = clip(2, 4, seed=1)
    model = realistic_eval(model, rgb)
    learned = isinstance(model.fuse_6.logits, torch.nn.Parameter)
    assert learned == (request.param == "learned_max")
    assert model.head.pool == ("max" if learned else "avg")
    with torch.no_grad():
        expected = model(rgb)
    # outputs of order 1 that differ between clips, so that the tolerances below mean something
    assert expected.abs().max() > 0.1 and (expected[0] - expected[1]).abs().max() > 1e-3
    return {"name": request.param, "model": model, "rgb": rgb, "expected": expected}


@pytest.fixture(scope="module")
def traced(case):
    return torch.jit.trace(case["model"], (case["rgb"],), check_trace=False)  # compared in the tests


@pytest.fixture(scope="module")
def onnx_session(case):
    buffer = io.BytesIO()
    torch.onnx.export(
        case["model"],
        (case["rgb"],),
        buffer,
        opset_version=17,
        dynamo=False,  # the torch.export-based exporter needs onnxscript, which is not installed
        input_names=["rgb"],
        output_names=["logits"],
        dynamic_axes={"rgb": {0: "batch", 2: "frames"}, "logits": {0: "batch"}},
    )
    onnx.checker.check_model(onnx.load_from_string(buffer.getvalue()))
    return ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])


def eager(model: torch.nn.Module, rgb: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(rgb)


def test_jit_trace_matches_eager(case, traced):
    # optimized_execution(False): run the recorded graph as it is, without the profiling executor's
    # fusion passes (about 1 s per new input shape here, and not what is under test)
    with torch.no_grad(), torch.jit.optimized_execution(False):
        torch.testing.assert_close(traced(case["rgb"]), case["expected"], rtol=1e-5, atol=1e-5)
        other = clip(3, 4, seed=2)  # the batch size is not baked in
        torch.testing.assert_close(traced(other), eager(case["model"], other), rtol=1e-5, atol=1e-5)


def test_jit_trace_runs_other_clip_lengths(case, traced):
    other = clip(1, 6, seed=3)
    with torch.no_grad(), torch.jit.optimized_execution(False):
        torch.testing.assert_close(traced(other), eager(case["model"], other), rtol=1e-5, atol=1e-5)


@pytest.mark.slow  # exporting or compiling the full-width model: seconds each
def test_onnx_export_matches_onnxruntime(case, onnx_session):
    (got,) = onnx_session.run(None, {"rgb": case["rgb"].numpy()})
    np.testing.assert_allclose(got, case["expected"].numpy(), rtol=1e-4, atol=1e-4)
    other = clip(3, 4, seed=2)
    (got,) = onnx_session.run(None, {"rgb": other.numpy()})
    np.testing.assert_allclose(got, eager(case["model"], other).numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.slow  # exporting or compiling the full-width model: seconds each
def test_onnx_export_runs_other_clip_lengths(case, onnx_session):
    other = clip(1, 6, seed=3)
    (got,) = onnx_session.run(None, {"rgb": other.numpy()})
    np.testing.assert_allclose(got, eager(case["model"], other).numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.slow  # exporting or compiling the full-width model: seconds each
def test_torch_compile_full_graph_matches_eager(case):
    """Dynamo captures the whole generated model, flow layer included, in one graph (no breaks).

    aot_eager also runs AOT autograd's functionalisation, which is what inductor compiles, in a
    fraction of inductor's compile time.
    """
    compiled = torch.compile(case["model"], backend="aot_eager", fullgraph=True)
    with torch.no_grad():
        torch.testing.assert_close(compiled(case["rgb"]), case["expected"], rtol=1e-5, atol=1e-5)
