"""Transforms: shapes, value ranges, and flow that follows the pixels through crop, resize and flip."""

from __future__ import annotations

import pytest
import torch

from anet.data.transforms import (
    EvalTransform,
    TrainTransform,
    center_box,
    crop,
    frames_to_tensor,
    hflip,
    random_resized_box,
    resize,
    to_float,
)


def clip_with_flow(t: int = 4, h: int = 60, w: int = 80) -> dict[str, torch.Tensor]:
    rgb = torch.randint(0, 256, (3, t, h, w), dtype=torch.uint8)
    flow = torch.stack([torch.full((t, h, w), 3.0), torch.full((t, h, w), -2.0)])  # 3 px right, 2 px up
    return {"rgb": rgb, "flow": flow}


def test_frames_to_tensor_and_float() -> None:
    frames = torch.randint(0, 256, (5, 6, 7, 3), dtype=torch.uint8).numpy()
    rgb = frames_to_tensor(frames)
    assert rgb.shape == (3, 5, 6, 7)
    assert rgb[1, 2, 3, 4] == frames[2, 3, 4, 1]
    assert to_float(rgb).max() <= 1.0 and to_float(rgb).dtype == torch.float32
    with pytest.raises(ValueError, match="T, H, W, 3"):
        frames_to_tensor(frames[..., :2])


def test_hflip_mirrors_pixels_and_negates_flow_x() -> None:
    clip = clip_with_flow()
    flipped = hflip(clip)
    assert torch.equal(flipped["rgb"][..., 0], clip["rgb"][..., -1])
    assert torch.all(flipped["flow"][0] == -3.0) and torch.all(flipped["flow"][1] == -2.0)


def test_resize_rescales_flow_per_axis() -> None:
    out = resize(clip_with_flow(h=60, w=80), (30, 20))  # y halves, x quarters
    assert out["rgb"].shape == (3, 4, 30, 20) and out["rgb"].dtype == torch.float32
    assert torch.allclose(out["flow"][0], torch.tensor(0.75)) and torch.allclose(out["flow"][1], torch.tensor(-1.0))


def test_crop_is_the_same_window_for_rgb_and_flow() -> None:
    clip = clip_with_flow()
    out = crop(clip, (5, 7, 20, 30))
    assert out["rgb"].shape == (3, 4, 20, 30) and out["flow"].shape == (2, 4, 20, 30)
    assert torch.equal(out["rgb"], clip["rgb"][:, :, 5:25, 7:37])


def test_boxes_stay_inside_the_frame() -> None:
    torch.manual_seed(0)
    for _ in range(200):
        top, left, h, w = random_resized_box(40, 90, scale=(0.1, 1.0), ratio=(0.5, 2.0))
        assert top >= 0 and top + h <= 40 and left >= 0 and left + w <= 90 and h > 0 and w > 0
    assert center_box(40, 90, 40, 40) == (0, 25, 40, 40)


@pytest.mark.parametrize("size", [16, 112])
def test_train_and_eval_transforms(size: int) -> None:
    torch.manual_seed(0)
    clip = clip_with_flow(t=3, h=72, w=128)
    for transform in (
        TrainTransform(size=size),
        EvalTransform(size=size),
        EvalTransform(size=size, short_side=size + 8),
    ):
        out = transform(clip)
        assert out["rgb"].shape == (3, 3, size, size) and out["flow"].shape == (2, 3, size, size)
        assert float(out["rgb"].min()) >= 0 and float(out["rgb"].max()) <= 1
        assert out["rgb"].is_contiguous()


def test_eval_keeps_the_centre_and_scales_flow() -> None:
    rgb = torch.zeros(3, 1, 100, 200, dtype=torch.uint8)
    rgb[:, :, :, 50:150] = 255  # a white centre square
    out = EvalTransform(size=50)({"rgb": rgb, "flow": torch.ones(2, 1, 100, 200)})
    assert torch.all(out["rgb"] > 0.99)  # the centre square, scaled down
    assert torch.allclose(out["flow"], torch.tensor(0.5))


def test_train_flip_follows_the_generator() -> None:
    clip = clip_with_flow()
    signs = set()
    for seed in range(20):
        out = TrainTransform(size=32, scale=(1.0, 1.0), ratio=(0.75, 0.75))(
            clip, generator=torch.Generator().manual_seed(seed)
        )
        signs.add(float(out["flow"][0].mean().sign()))
    assert signs == {-1.0, 1.0}  # some clips flipped (x flow negated), some not
    never = TrainTransform(size=32, flip=0.0)
    assert all(float(never(clip)["flow"][0].mean()) > 0 for _ in range(10))
