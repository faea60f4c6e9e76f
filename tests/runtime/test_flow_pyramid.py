"""Tests of anet.runtime.flow_pyramid.PyramidFlow, the coarse-to-fine TV-L1 layer (`flow pyramid`).

Motion is checked on a real photograph (scikit-image's camera man) moved by known amounts, and
accuracy on real ground truth (the Middlebury motorcycle stereo pair, see anet.data.flow_truth)
against OpenCV's TV-L1 with the same pyramid.
"""

from __future__ import annotations

import io

import numpy as np
import onnxruntime as ort
import pytest
import torch
import torch.nn.functional as F
from scipy import ndimage
from skimage import data

from anet.data.flow_truth import endpoint_errors, motorcycle_pair
from anet.runtime.flow import RepresentationFlow
from anet.runtime.flow_pyramid import PyramidFlow, _area_resize, pyramid_tvl1_pairs

SIZE = 96  # test images are SIZE x SIZE crops
MARGIN = 24  # flow is judged this far from the border (content moves in and out there)


def photo_clip(moved: list[np.ndarray]) -> torch.Tensor:
    """Grey frames [H, W] in [0, 255] as an RGB clip [1, 3, T, H, W] in [0, 1]."""
    frames = torch.from_numpy(np.stack(moved)).float().div(255).clamp(0, 1)
    return frames[None, None].expand(1, 3, *frames.shape).contiguous()


def camera(size: int) -> np.ndarray:
    """A textured crop of the camera man (tripod, coat, grass), float64 [size + 64, size + 64]."""
    return data.camera()[150 : 150 + size + 64, 160 : 160 + size + 64].astype(np.float64)


def translated(dx: float, dy: float, frames: int = 2, size: int = SIZE) -> torch.Tensor:
    """Frames of the photo whose content moves (dx, dy) px per frame (cubic spline resampling)."""
    image = camera(size)
    moved = [ndimage.shift(image, (t * dy, t * dx), order=3, mode="reflect")[32:-32, 32:-32] for t in range(frames)]
    return photo_clip(moved)


def assert_same_flow(actual: torch.Tensor, expected: torch.Tensor) -> None:
    """Equal up to rounding. Rounding differences (other tensor sizes, other kernels, another CPU)
    stay near 1e-6 px on average, but where they flip the median filter's choice they reach 0.01 px
    (measured between PyTorch's scalar and vector kernels: mean 2e-5 px, largest 0.012 px, on a
    96 px clip); a flow mixed up between clips or pairs is off by pixels."""
    difference = (actual - expected).abs()
    assert difference.mean().item() < 1e-4 and difference.max().item() < 0.05


def interior_error(flow: torch.Tensor, expected: torch.Tensor) -> torch.Tensor:
    """End-point errors [H', W'] of the first pair's flow [1, 2, T, H, W] away from the border.

    ``expected`` is [2, H, W], or [2, 1, 1] for the same motion everywhere.
    """
    inner = (slice(None), slice(MARGIN, -MARGIN), slice(MARGIN, -MARGIN))
    expected = expected if expected.shape[-1] == 1 else expected[inner]
    return (flow[0, :, 0][inner] - expected).norm(dim=0)


@pytest.mark.parametrize(
    ("dx", "dy", "size"),
    [(0.3, -0.6, 96), (-0.5, 0.25, 96), (5.0, -3.0, 96), (-8.5, 6.0, 96), (12.0, 9.0, 128), (-20.0, 4.0, 128)],
)
def test_recovers_known_translation_of_a_photo(dx: float, dy: float, size: int) -> None:
    """Up to 20 px: 2.5 px at the coarsest level (16 px) of a 128 px image."""
    flow = PyramidFlow(resolution=1.0)(translated(dx, dy, size=size))
    error = interior_error(flow, torch.tensor([dx, dy]).view(2, 1, 1))
    # Measured: median 0.01-0.03 px, mean 0.02-0.05 px.
    assert error.median().item() < 0.1, error.median()
    assert error.mean().item() < 0.25, error.mean()


def test_single_scale_layer_does_not_see_large_motion() -> None:
    """The reason this layer exists: the authors' layer reads a 5 px shift as about 0."""
    flow = RepresentationFlow()(translated(5.0, 0.0))
    assert flow[0, 0, 0, MARGIN:-MARGIN, MARGIN:-MARGIN].mean().item() < 1.5


def test_recovers_a_rotation_of_a_photo() -> None:
    angle = np.deg2rad(4.0)
    image = camera(SIZE)
    centre = (np.array(image.shape) - 1) / 2
    # Frame 1 at p shows frame 0 at R^-1 (p - c) + c: content rotates by +angle (x right, y down).
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])  # (x, y)
    inverse_yx = rotation.T[::-1, ::-1]  # R^-1 acting on (y, x)
    offset = centre - inverse_yx @ centre
    second = ndimage.affine_transform(image, inverse_yx, offset=offset, order=3, mode="reflect")
    clip = photo_clip([image[32:-32, 32:-32], second[32:-32, 32:-32]])
    ys, xs = np.mgrid[32 : 32 + SIZE, 32 : 32 + SIZE].astype(np.float64)
    relative = np.stack((xs - centre[1], ys - centre[0]))
    expected = torch.from_numpy(np.einsum("ij,jhw->ihw", rotation - np.eye(2), relative)).float()
    assert expected.norm(dim=0).max() > 3  # up to about 4 px at the crop corners
    error = interior_error(PyramidFlow(resolution=1.0)(clip), expected)
    assert error.mean().item() < 0.2, error.mean()


def test_resolution_reports_motion_in_input_pixels() -> None:
    flow = PyramidFlow(resolution=0.5)(translated(6.0, -4.0))
    error = interior_error(flow, torch.tensor([6.0, -4.0]).view(2, 1, 1))
    assert error.median().item() < 0.3, error.median()


def test_real_ground_truth_within_1_2x_of_opencv() -> None:
    """Motorcycle pair at quarter size (185 x 125): EPE against OpenCV TV-L1, 8 scales at step 0.5."""
    cv2 = pytest.importorskip("cv2")
    truth = motorcycle_pair(0.25)
    clip = torch.from_numpy(np.stack((truth.first, truth.second))).float().div(255)
    ours = PyramidFlow(resolution=1.0, scales=8)(clip.permute(3, 0, 1, 2)[None])[0, :, 0]
    ours_epe = endpoint_errors(ours.permute(1, 2, 0).numpy(), truth).mean()
    tvl1 = cv2.optflow.DualTVL1OpticalFlow_create(scaleStep=0.5, nscales=8)
    grey = [cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) for image in (truth.first, truth.second)]
    opencv_epe = endpoint_errors(tvl1.calc(*grey, None), truth).mean()
    zero_epe = endpoint_errors(np.zeros_like(truth.flow), truth).mean()
    # Measured: ours 1.115, OpenCV 0.995, zero flow 8.56 (the single-scale layer: 8.33).
    assert opencv_epe < 1.1
    assert ours_epe < 1.2 * opencv_epe < zero_epe / 5, (ours_epe, opencv_epe)


def test_gradients_flow_to_the_input() -> None:
    clip = translated(2.0, 1.0)[..., :48, :48].requires_grad_(True)
    flow = PyramidFlow(warps=2, iterations=3)(clip)
    flow[:, 0].sum().backward()
    assert clip.grad is not None
    assert torch.isfinite(clip.grad).all()
    assert clip.grad.abs().sum() > 0


def test_functional_path_matches_in_place_path() -> None:
    clip = translated(3.0, -2.0, frames=3)[..., :64, :64]
    layer = PyramidFlow(resolution=1.0, warps=3, iterations=5)
    fast = layer(clip)
    assert not fast.requires_grad
    differentiable = layer(clip.clone().requires_grad_(True))
    assert differentiable.requires_grad
    # Same iteration, different rounding (the in-place one keeps the flow scaled by tau/theta).
    assert (fast - differentiable.detach()).abs().mean().item() < 1e-3


def test_bf16_autocast_computes_in_float32() -> None:
    clip = translated(5.0, -3.0)
    layer = PyramidFlow()
    reference = layer(clip)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        autocast = layer(clip)
    assert autocast.dtype == torch.float32
    assert torch.equal(autocast, reference)
    half = layer(clip.bfloat16())
    assert half.dtype == torch.bfloat16
    # Only the input's and output's rounding to bfloat16 differ (8 bits of mantissa: 6 px +- 0.03).
    assert (half.float() - reference).abs().median().item() < 0.05


@pytest.mark.parametrize("frames", [1, 2, 3, 6])
def test_any_number_of_frames(frames: int) -> None:
    clip = translated(2.0, 1.0, frames=frames)[..., :48, :64]
    flow = PyramidFlow(resolution=1.0)(torch.cat((clip, clip.flip(-1))))
    assert flow.shape == (2, 2, frames, 48, 64)
    if frames == 1:
        assert not flow.any()
    else:
        assert torch.equal(flow[:, :, -1], flow[:, :, -2])  # the last frame repeats its predecessor's flow
        assert flow[0, 0, :-1, 10:-10, 10:-10].mean() > 1.5


def test_clip_result_does_not_depend_on_the_batch() -> None:
    one = translated(4.0, 2.0, frames=3)
    other = translated(-7.0, 1.0, frames=3).flip(-2)
    layer = PyramidFlow(iterations=5)
    alone = layer(one)
    together = layer(torch.cat((other, one)))[1:]
    assert_same_flow(together, alone)


def test_pairs_function_layout_and_dtype() -> None:
    first = torch.from_numpy(camera(SIZE)[:40, :48]).float().expand(3, 40, 48)
    flow = pyramid_tvl1_pairs(first, first)
    assert flow.shape == (2, 3, 40, 48)
    assert flow.abs().max().item() < 1e-3  # identical images: no motion


def test_settings_are_kept_and_shown() -> None:
    layer = PyramidFlow(scales=4, warps=2, iterations=7, resolution=0.25, median=3)
    text = repr(layer)
    for setting in ("scales=4", "warps=2", "iterations=7", "resolution=0.25", "median=3"):
        assert setting in text
    assert set(layer.state_dict()) == {"theta", "lam", "tau"}
    assert not list(layer.parameters())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scales": 0}, "scales"),
        ({"warps": 1.5}, "warps"),
        ({"iterations": True}, "iterations"),
        ({"median": 4}, "median"),
        ({"resolution": 0.0}, "resolution"),
        ({"resolution": 1.5}, "resolution"),
        ({"scale_step": 1.0}, "scale_step"),
        ({"min_size": 1}, "min_size"),
        ({"theta": 0.0}, "theta"),
    ],
)
def test_rejects_bad_settings(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PyramidFlow(**kwargs)


def test_rejects_bad_input_shape() -> None:
    with pytest.raises(ValueError, match=r"\[B, 3, T, H, W\]"):
        PyramidFlow()(torch.zeros(1, 1, 2, 8, 8))


def test_jit_trace_matches_eager() -> None:
    clip = translated(2.0, -1.0, frames=3)[..., :32, :40]
    layer = PyramidFlow(warps=2, iterations=3)
    with pytest.warns(torch.jit.TracerWarning):
        traced = torch.jit.trace(layer, clip)
    other = translated(-1.0, 2.0, frames=3)[..., :32, :40]
    assert (traced(other) - layer(other)).abs().max().item() < 1e-3  # functional vs in-place rounding


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning", "ignore::DeprecationWarning", "ignore::UserWarning")
def test_onnx_export_matches_eager() -> None:
    """Two levels, the first reached by a resize that does not divide the frame (48 px at 0.75 is
    36 px), which ONNX's adaptive pooling cannot express; batch and frames stay free."""
    layer = PyramidFlow(scales=2, warps=1, iterations=2, resolution=0.75)
    buffer = io.BytesIO()
    axes = {0: "batch", 2: "frames"}
    clip = translated(2.0, -1.0, frames=3)[..., :48, :48]
    torch.onnx.export(
        layer,
        (clip,),
        buffer,
        opset_version=17,
        dynamo=False,  # the torch.export-based exporter needs onnxscript, not a dependency
        input_names=["rgb"],
        output_names=["flow"],
        dynamic_axes={"rgb": axes, "flow": axes},
    )
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    other = torch.cat((translated(-1.0, 2.0, frames=5), translated(3.0, 0.5, frames=5)))[..., 8:56, 8:56]
    for rgb in (clip, other):
        (got,) = session.run(None, {"rgb": rgb.numpy()})
        # functional vs in-place rounding, as under jit.trace; measured: at most 3e-5 px of flow up to 4 px
        np.testing.assert_allclose(got, layer(rgb).numpy(), rtol=0, atol=1e-3)


@pytest.mark.parametrize(("size", "target"), [((48, 48), (36, 36)), ((36, 50), (18, 25)), ((25, 37), (12, 16))])
def test_exported_area_resize_averages_as_the_eager_one(monkeypatch: pytest.MonkeyPatch, size, target) -> None:
    """The export's matrix products average the windows of torch's "area" mode (which stays the
    eager path, bit for bit); sizes that divide and sizes that do not."""
    images = torch.rand(3, *size, generator=torch.Generator().manual_seed(0)) * 255
    eager = _area_resize(images, target)
    assert torch.equal(eager, F.interpolate(images[:, None], size=target, mode="area")[:, 0])
    monkeypatch.setattr(torch.onnx, "is_in_onnx_export", lambda: True)
    torch.testing.assert_close(_area_resize(images, target), eager, rtol=1e-6, atol=1e-4)


def test_blocks_of_pairs_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    import anet.runtime.flow_pyramid as flow_pyramid

    frames = translated(3.0, 1.0, frames=4)[0, 0, :, :40, :40] * 255
    together = pyramid_tvl1_pairs(frames[:-1], frames[1:], warps=2, iterations=3)
    monkeypatch.setattr(flow_pyramid, "_BLOCK_PIXELS", 2 * 40 * 40)  # blocks of 2 pairs: 2 + 1
    assert_same_flow(pyramid_tvl1_pairs(frames[:-1], frames[1:], warps=2, iterations=3), together)
