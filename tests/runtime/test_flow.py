"""Tests of anet.runtime.flow.RepresentationFlow, the in-network TV-L1 optical flow layer.

The layer is checked against a plain reference written here: one clip and one frame pair at a
time, the three-mask thresholding step of Zach et al. and the representation-flow iteration
written out line by line (zero-padded central differences for the image gradient, as in the
authors' TensorFlow layer; forward differences and the backward-difference divergence for the
dual variables, as in the published representation-flow code).
"""

from __future__ import annotations

import io

import numpy as np
import onnxruntime as ort
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from anet.runtime.flow import RepresentationFlow, tvl1_pairs

# ---------------------------------------------------------------------------------------------
# Reference implementation (deliberately plain: loops, masks, convolutions)
# ---------------------------------------------------------------------------------------------


def reference_tvl1_pair(first, second, *, iterations, theta=0.3, lam=0.15, tau=0.25, tf_forward_difference=False):
    """TV-L1 from image ``first`` [H, W] to ``second`` [H, W], written out as in the papers.

    ``tf_forward_difference``: the forward differences of the flow as the authors' TensorFlow layer
    computes them, a [-1, 1] convolution with 'SAME' zero padding, so the last column (row) is
    0 - u instead of 0.
    """

    def image_gradient(image):  # central differences, zero outside the image
        grad_x = torch.zeros_like(image)
        grad_y = torch.zeros_like(image)
        grad_x[:, 1:-1] = 0.5 * (image[:, 2:] - image[:, :-2])
        grad_x[:, 0] = 0.5 * image[:, 1]
        grad_x[:, -1] = -0.5 * image[:, -2]
        grad_y[1:-1, :] = 0.5 * (image[2:, :] - image[:-2, :])
        grad_y[0, :] = 0.5 * image[1, :]
        grad_y[-1, :] = -0.5 * image[-2, :]
        return grad_x, grad_y

    def forward_grad(u):  # [-1, 1], last column / row 0
        grad_x = torch.zeros_like(u)
        grad_y = torch.zeros_like(u)
        grad_x[:, :-1] = u[:, 1:] - u[:, :-1]
        grad_y[:-1, :] = u[1:, :] - u[:-1, :]
        if tf_forward_difference:
            grad_x[:, -1] = -u[:, -1]
            grad_y[-1, :] = -u[-1, :]
        return grad_x, grad_y

    def divergence(p_x, p_y):  # backward differences (Chambolle 2004), minus the adjoint of the above
        div = torch.zeros_like(p_x)
        div[:, 0] += p_x[:, 0]
        div[:, 1:-1] += p_x[:, 1:-1] - p_x[:, :-2]
        div[:, -1] -= p_x[:, -2]
        div[0, :] += p_y[0, :]
        div[1:-1, :] += p_y[1:-1, :] - p_y[:-2, :]
        div[-1, :] -= p_y[-2, :]
        return div

    x, y = first, second
    l_t = lam * theta
    taut = tau / theta
    grad2_x, grad2_y = image_gradient(y)
    u1 = torch.zeros_like(x)
    u2 = torch.zeros_like(x)
    p11, p12, p21, p22 = (torch.zeros_like(x) for _ in range(4))
    grad = grad2_x**2 + grad2_y**2 + 1e-12
    rho_c = y - grad2_x * u1 - grad2_y * u2 - x
    for _ in range(iterations):
        rho = rho_c + grad2_x * u1 + grad2_y * u2 + 1e-12
        v1 = torch.zeros_like(x)
        v2 = torch.zeros_like(x)
        mask1 = rho < -l_t * grad
        v1[mask1] = (l_t * grad2_x)[mask1]
        v2[mask1] = (l_t * grad2_y)[mask1]
        mask2 = rho > l_t * grad
        v1[mask2] = (-l_t * grad2_x)[mask2]
        v2[mask2] = (-l_t * grad2_y)[mask2]
        mask3 = ~mask1 & ~mask2 & (grad > 1e-12)
        v1[mask3] = ((-rho / grad) * grad2_x)[mask3]
        v2[mask3] = ((-rho / grad) * grad2_y)[mask3]
        v1 = v1 + u1
        v2 = v2 + u2
        u1 = v1 + theta * divergence(p11, p12)
        u2 = v2 + theta * divergence(p21, p22)
        u1x, u1y = forward_grad(u1)
        u2x, u2y = forward_grad(u2)
        norm1 = torch.sqrt(u1x**2 + u1y**2 + 1e-12)
        norm2 = torch.sqrt(u2x**2 + u2y**2 + 1e-12)
        p11 = (p11 + taut * u1x) / (1.0 + taut * norm1)
        p12 = (p12 + taut * u1y) / (1.0 + taut * norm1)
        p21 = (p21 + taut * u2x) / (1.0 + taut * norm2)
        p22 = (p22 + taut * u2y) / (1.0 + taut * norm2)
    return torch.stack((u1, u2))


def reference_flow(rgb, *, iterations, theta=0.3, lam=0.15, tau=0.25):
    """[B, 3, T, H, W] -> [B, 2, T, H, W], one clip and one frame pair at a time."""
    clips = []
    for clip in rgb:
        gray = clip.mean(dim=0)  # [T, H, W]
        low, high = gray.min(), gray.max()
        gray = (gray - low) / (high - low) * 255 if high > low else gray - low
        flows = [
            reference_tvl1_pair(gray[t], gray[t + 1], iterations=iterations, theta=theta, lam=lam, tau=tau)
            for t in range(gray.shape[0] - 1)
        ]
        flows.append(flows[-1])
        clips.append(torch.stack(flows, dim=1))
    return torch.stack(clips)


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


def smooth_texture(size: int, *, sigma: float, seed: int) -> torch.Tensor:
    """A colour texture [1, 3, size, size] in [0, 1]: uniform noise blurred by a Gaussian."""
    generator = torch.Generator().manual_seed(seed)
    noise = torch.rand(1, 3, size, size, generator=generator, dtype=torch.float64)
    radius = int(3 * sigma)
    taps = torch.arange(-radius, radius + 1, dtype=torch.float64)
    kernel = torch.exp(-(taps**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    blurred = F.conv2d(
        F.pad(noise, (radius, radius, 0, 0), mode="reflect"),
        kernel.view(1, 1, 1, -1).repeat(3, 1, 1, 1),
        groups=3,
    )
    blurred = F.conv2d(
        F.pad(blurred, (0, 0, radius, radius), mode="reflect"),
        kernel.view(1, 1, -1, 1).repeat(3, 1, 1, 1),
        groups=3,
    )
    return (blurred - blurred.min()) / (blurred.max() - blurred.min())


def translating_clip(
    dx: float, dy: float, *, frames: int = 3, size: int = 64, margin: int = 8, seed: int = 0
) -> torch.Tensor:
    """A clip [1, 3, T, size, size] whose content moves by (dx, dy) pixels per frame.

    Frame t samples the texture at (x - t dx, y - t dy) with bilinear interpolation, so content
    at x in frame t is at x + dx in frame t + 1: moving right means dx > 0.
    """
    texture = smooth_texture(size + 2 * margin, sigma=2.0, seed=seed)
    extent = size + 2 * margin - 1
    coords = torch.arange(size, dtype=torch.float64) + margin
    ys, xs = torch.meshgrid(coords, coords, indexing="ij")
    frames_out = []
    for t in range(frames):
        grid = torch.stack(((xs - t * dx) / extent * 2 - 1, (ys - t * dy) / extent * 2 - 1), dim=-1)
        frames_out.append(F.grid_sample(texture, grid[None], mode="bilinear", align_corners=True))
    return torch.stack(frames_out, dim=2).float()


def random_clip(batch: int, frames: int, size: int, *, seed: int) -> torch.Tensor:
    """Moving, partly random content: a textured clip plus a little per-frame noise."""
    generator = torch.Generator().manual_seed(seed)
    clips = [translating_clip(0.7 * (b + 1), -0.4 * b, frames=frames, size=size, seed=seed + b) for b in range(batch)]
    clip = torch.cat(clips)
    return (clip + 0.02 * torch.rand(clip.shape, generator=generator)).clamp(0, 1)


# Two computations of the same flow that round differently (other tensor sizes, hence other vector
# and scalar loops, or another CPU) differ by less than 1e-6 px; test_flow_pinned.py measures it.
ROUNDING_PX = 1e-5


def max_difference(actual: torch.Tensor, expected: torch.Tensor) -> float:
    return (actual - expected).abs().max().item()


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """Largest absolute difference relative to the largest magnitude of ``expected``."""
    return ((actual.double() - expected.double()).abs().max() / expected.abs().max()).item()


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dx", "dy"),
    [(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0), (0.5, 0.0), (0.0, -0.5), (0.6, -0.4)],
)
def test_recovers_known_translation(dx: float, dy: float) -> None:
    layer = RepresentationFlow()
    flow = layer(translating_clip(dx, dy))
    interior = flow[0, :, :, 8:-8, 8:-8]  # away from the zero-padded image border
    mean = interior.mean(dim=(1, 2, 3))
    # Required: within 0.5 pixel. Measured: about 0.02 on the mean, 0.06 per pixel (endpoint error).
    assert abs(mean[0].item() - dx) < 0.1
    assert abs(mean[1].item() - dy) < 0.1
    # Sign convention: content moving right (down) gives positive u1 (u2).
    if dx:
        assert np.sign(mean[0].item()) == np.sign(dx)
    if dy:
        assert np.sign(mean[1].item()) == np.sign(dy)
    # Pixel by pixel, not only on average.
    truth = torch.tensor([dx, dy]).view(2, 1, 1, 1)
    endpoint_error = (interior - truth).norm(dim=0)
    assert endpoint_error.mean().item() < 0.25


def test_clamp_thresholding_equals_masked_form() -> None:
    generator = torch.Generator().manual_seed(1)
    grad_x = torch.randn(10_000, generator=generator, dtype=torch.float64) * 5
    grad_y = torch.randn(10_000, generator=generator, dtype=torch.float64) * 5
    grad_x[:100] = 0  # no image gradient: the masked form leaves v = u
    grad_y[:100] = 0
    rho = torch.randn(10_000, generator=generator, dtype=torch.float64) * 20
    l_t = 0.15 * 0.3
    grad = grad_x**2 + grad_y**2 + 1e-12
    masked = torch.zeros(2, 10_000, dtype=torch.float64)
    mask1 = rho < -l_t * grad
    mask2 = rho > l_t * grad
    mask3 = ~mask1 & ~mask2 & (grad > 1e-12)
    for out, g in zip(masked, (grad_x, grad_y), strict=True):
        out[mask1] = (l_t * g)[mask1]
        out[mask2] = (-l_t * g)[mask2]
        out[mask3] = ((-rho / grad) * g)[mask3]
    clamped = torch.stack((grad_x, grad_y)) * torch.clamp(-rho / grad, -l_t, l_t)
    assert mask1.any() and mask2.any() and mask3.any()  # all three cases are exercised
    torch.testing.assert_close(clamped, masked, rtol=1e-12, atol=0)


@pytest.mark.parametrize("requires_grad", [False, True], ids=["inplace", "functional"])
def test_matches_loop_reference(requires_grad: bool) -> None:
    rgb = random_clip(2, 4, 24, seed=3)  # 6 frame pairs: blocks of 4 and 2 in the in-place loop
    expected = reference_flow(rgb.double(), iterations=40)
    layer = RepresentationFlow(pairs_per_block=4)
    actual = layer(rgb.requires_grad_(requires_grad))
    assert actual.shape == (2, 2, 4, 24, 24)
    assert expected.abs().max() > 0.5  # the comparison is not between two near-zero fields
    assert relative_error(actual.detach(), expected) < 1e-4


def test_blocks_of_pairs_do_not_change_the_result() -> None:
    rgb = random_clip(2, 4, 20, seed=6)  # 6 frame pairs
    whole = RepresentationFlow(iterations=10, pairs_per_block=6)(rgb)
    assert whole.abs().max() > 1.0
    for pairs in (1, 4, 100, None):  # 4: a shorter last block
        assert max_difference(RepresentationFlow(iterations=10, pairs_per_block=pairs)(rgb), whole) < ROUNDING_PX


def test_matches_loop_reference_with_other_hyperparameters() -> None:
    rgb = random_clip(1, 3, 20, seed=5)
    settings = {"iterations": 7, "theta": 0.5, "lam": 0.3, "tau": 0.125}
    expected = reference_flow(rgb.double(), **settings)
    assert relative_error(RepresentationFlow(**settings)(rgb), expected) < 1e-4


@settings(max_examples=12, deadline=None)
@given(
    batch=st.integers(1, 2),
    frames=st.integers(2, 4),
    height=st.integers(2, 9),
    width=st.integers(2, 9),
    seed=st.integers(0, 2**16),
)
def test_matches_loop_reference_on_small_shapes(batch: int, frames: int, height: int, width: int, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    rgb = torch.rand(batch, 3, frames, height, width, generator=generator)
    expected = reference_flow(rgb.double(), iterations=6)
    for requires_grad in (False, True):
        actual = RepresentationFlow(iterations=6)(rgb.clone().requires_grad_(requires_grad))
        torch.testing.assert_close(
            actual.detach().double(), expected, rtol=0, atol=1e-4 * (1 + expected.abs().max().item())
        )


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16, torch.float16])
def test_other_input_dtypes(dtype: torch.dtype) -> None:
    rgb = random_clip(1, 3, 16, seed=13)
    expected = RepresentationFlow(iterations=10)(rgb)
    flow = RepresentationFlow(iterations=10)(rgb.to(dtype))
    assert flow.dtype == dtype
    assert torch.isfinite(flow).all()
    # Half-precision inputs are quantised, then computed in float32.
    tolerance = 1e-5 if dtype == torch.float64 else 0.1
    assert relative_error(flow, expected) < tolerance


def test_backward_through_the_functional_path() -> None:
    rgb = random_clip(1, 3, 16, seed=7).requires_grad_(True)
    RepresentationFlow(iterations=5)(rgb).square().sum().backward()
    assert rgb.grad is not None
    assert torch.isfinite(rgb.grad).all()
    assert rgb.grad.abs().sum() > 0


def test_clip_result_does_not_depend_on_the_batch() -> None:
    layer = RepresentationFlow(iterations=20)
    clip = random_clip(1, 4, 32, seed=11)
    # A very different clip: dark, low contrast, moving the other way.
    other = 0.05 + 0.1 * random_clip(1, 4, 32, seed=12).flip(2)
    alone = layer(clip)
    together = layer(torch.cat((other, clip, other)))
    # Every operation is elementwise within a clip, or a reduction over one clip: only rounding may
    # differ (batched, the tensors' sizes differ, and with them which elements the vector loops take).
    assert max_difference(together[1:2], alone) < ROUNDING_PX
    assert max_difference(together[0:1], layer(other)) < ROUNDING_PX
    assert max_difference(together[2:3], layer(other)) < ROUNDING_PX


def test_constant_clip_gives_zero_flow() -> None:
    rgb = torch.cat((torch.full((1, 3, 4, 16, 16), 0.3), random_clip(1, 4, 16, seed=2)))
    for requires_grad in (False, True):
        flow = RepresentationFlow(iterations=10)(rgb.clone().requires_grad_(requires_grad))
        assert torch.isfinite(flow).all()
        assert torch.equal(flow[0], torch.zeros_like(flow[0]))


@pytest.mark.parametrize("frames", [1, 2, 8, 32, 36])
def test_number_of_frames_is_not_fixed(frames: int) -> None:
    layer = RepresentationFlow(iterations=3)  # one instance for all clip lengths
    rgb = torch.rand(2, 3, frames, 12, 16)
    flow = layer(rgb)
    assert flow.shape == (2, 2, frames, 12, 16)
    if frames == 1:
        assert torch.equal(flow, torch.zeros_like(flow))
    else:
        torch.testing.assert_close(flow[:, :, -1], flow[:, :, -2], rtol=0, atol=0)


def test_hyperparameters_are_buffers_in_the_state_dict() -> None:
    layer = RepresentationFlow(theta=0.4, lam=0.2, tau=0.125)
    assert list(layer.parameters()) == []
    state = layer.state_dict()
    assert set(state) == {"theta", "lam", "tau"}
    assert state["theta"].item() == pytest.approx(0.4)
    restored = RepresentationFlow()
    restored.load_state_dict(state)
    rgb = random_clip(1, 3, 16, seed=4)
    torch.testing.assert_close(restored(rgb), layer(rgb), rtol=0, atol=0)


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="iterations"):
        RepresentationFlow(iterations=-1)
    with pytest.raises(ValueError, match="theta"):
        RepresentationFlow(theta=0.0)
    with pytest.raises(ValueError, match="pairs_per_block"):
        RepresentationFlow(pairs_per_block=0)
    with pytest.raises(ValueError, match=r"\[B, 3, T, H, W\]"):
        RepresentationFlow()(torch.rand(1, 1, 4, 8, 8))


def test_tvl1_pairs_layout() -> None:
    first = torch.rand(5, 10, 12) * 255
    flow = tvl1_pairs(first, first.roll(1, dims=-1), iterations=3)
    assert flow.shape == (2, 5, 10, 12)


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning", "ignore::DeprecationWarning")
def test_jit_trace_matches_eager() -> None:
    layer = RepresentationFlow(iterations=4)
    traced = torch.jit.trace(layer, random_clip(2, 4, 24, seed=8))
    for rgb in (random_clip(2, 4, 24, seed=9), random_clip(1, 6, 24, seed=10)):  # T is not baked in
        torch.testing.assert_close(traced(rgb), layer(rgb), rtol=0, atol=1e-4)


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning", "ignore::DeprecationWarning", "ignore::UserWarning")
def test_onnx_export_matches_eager() -> None:
    layer = RepresentationFlow(iterations=4)
    buffer = io.BytesIO()
    axes = {0: "batch", 2: "frames", 3: "height", 4: "width"}
    torch.onnx.export(
        layer,
        (random_clip(2, 4, 24, seed=8),),
        buffer,
        opset_version=17,
        dynamo=False,  # the torch.export-based exporter needs onnxscript, not a dependency
        input_names=["rgb"],
        output_names=["flow"],
        dynamic_axes={"rgb": axes, "flow": axes},
    )
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    for rgb in (random_clip(2, 4, 24, seed=9), random_clip(1, 6, 20, seed=10)):
        (onnx_flow,) = session.run(None, {"rgb": rgb.numpy()})
        np.testing.assert_allclose(onnx_flow, layer(rgb).numpy(), rtol=0, atol=1e-4)


def test_torch_compile_graph_matches_eager() -> None:
    # aot_eager checks that dynamo captures the whole layer without graph breaks and that the
    # captured graph computes the same flow, in a fraction of inductor's compile time (the
    # benchmark compiles with inductor).
    layer = RepresentationFlow(iterations=2)
    rgb = random_clip(1, 3, 16, seed=10)
    compiled = torch.compile(layer, backend="aot_eager", fullgraph=True)
    torch.testing.assert_close(compiled(rgb), layer(rgb), rtol=0, atol=1e-4)


@pytest.mark.parametrize(("dx", "dy"), [(1.0, 0.0), (-1.0, 1.0), (2.0, 1.0)])
def test_deviation_from_tensorflow_forward_difference(dx: float, dy: float) -> None:
    """The one deviation from the authors' TF layer, documented in `flow.py`.

    TF computes the flow's forward differences by a [-1, 1] convolution with 'SAME' zero padding,
    so the last column (row) reads 0 - u; this layer, the published PyTorch code and OpenCV use 0
    there (a Neumann border). The flow then differs near the last row and column only.
    """
    clip = translating_clip(dx, dy, frames=2, size=48)
    gray = clip[0].mean(dim=0).double()
    gray = (gray - gray.min()) / (gray.max() - gray.min()) * 255
    tf = reference_tvl1_pair(gray[0], gray[1], iterations=40, tf_forward_difference=True)
    ours = RepresentationFlow()(clip)[0, :, 0].double()
    assert relative_error(ours, reference_tvl1_pair(gray[0], gray[1], iterations=40)) < 1e-5
    difference = (ours - tf).abs()
    border = torch.cat((difference[:, -2:].flatten(), difference[:, :, -2:].flatten()))
    # Measured: 0.18-0.65 px at the last row / column, below 0.045 further than 6 px from them.
    assert 0.1 < border.max().item() < 1.0
    assert difference[:, :-6, :-6].max().item() < 0.06
