"""The synthetic proxy task: deterministic, cheap, and defined by motion rather than appearance."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from anet.data.proxy import (
    MAX_CLASSES,
    PROXY_CLASSES,
    PROXY_OBJECTS,
    ProxyConfig,
    ProxyDataset,
    proxy_splits,
    render,
)
from anet.data.spec import parse_data_spec


def test_same_seed_same_bits_other_seed_or_split_other_clips() -> None:
    first = ProxyDataset(samples=6, seed=3, flow=True)[5]
    again = ProxyDataset(samples=6, seed=3, flow=True)[5]
    assert torch.equal(first["rgb"], again["rgb"]) and torch.equal(first["flow"], again["flow"])
    assert not torch.equal(first["rgb"], ProxyDataset(samples=6, seed=4)[5]["rgb"])
    assert not torch.equal(first["rgb"], ProxyDataset(samples=6, seed=3, split="val")[5]["rgb"])
    cached = ProxyDataset(samples=6, seed=3, flow=True, cache=True)
    assert torch.equal(cached[5]["rgb"], first["rgb"]) and torch.equal(cached[5]["flow"], first["flow"])
    cached[5]["rgb"].zero_()  # consumers get copies
    assert torch.equal(cached[5]["rgb"], first["rgb"])
    assert torch.equal(pickle.loads(pickle.dumps(cached))[5]["rgb"], first["rgb"])  # for "spawn" workers


@pytest.mark.parametrize(("classes", "frames", "size"), [(2, 4, 16), (8, 8, 32), (16, 16, 48)])
def test_shapes_ranges_and_balanced_labels(classes: int, frames: int, size: int) -> None:
    train, val = proxy_splits(
        train=2 * classes, val=classes, flow=True, config=ProxyConfig(classes=classes, frames=frames, size=size)
    )
    assert (len(train), len(val), train.num_classes, train.multi_label) == (2 * classes, classes, classes, False)
    assert train.class_names == tuple(name for name, _ in PROXY_CLASSES[:classes])
    labels = []
    for i in range(len(train)):
        item = train[i]
        assert item["rgb"].shape == (3, frames, size, size) and item["rgb"].dtype == torch.float32
        assert item["flow"].shape == (2, frames, size, size)
        assert float(item["rgb"].min()) >= 0 and float(item["rgb"].max()) <= 1
        assert item["label"].dtype == torch.int64 and item["video"] == f"proxy/train/{i}"
        labels.append(int(item["label"]))
    assert labels == [i % classes for i in range(2 * classes)]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"classes": MAX_CLASSES + 1}, "2 to 16 classes"),
        ({"frames": 3}, "at least 4 frames"),
        ({"size": 8}, "at least 16 px"),
    ],
)
def test_bad_config(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ProxyConfig(**options)


def program(name: str, steps: int = 15, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    motion = dict(PROXY_CLASSES)[name]
    return motion(np.random.default_rng(0), steps, size)


def test_class_programs_mean_what_they_say() -> None:
    assert program("right")[0][:, 0].min() > 0 and program("left")[0][:, 0].max() < 0
    assert program("up")[0][:, 1].max() < 0 and program("down")[0][:, 1].min() > 0  # y points down
    assert program("clockwise")[1].min() > 0 and program("counter-clockwise")[1].max() < 0
    velocity, _ = program("right-then-up")
    moving = np.abs(velocity).sum(axis=1) > 0
    first, last = np.flatnonzero(moving)[[0, -1]]
    assert velocity[first, 0] > 0 and velocity[last, 1] < 0  # right first, up last ...
    assert not moving[first:last].all()  # ... with a pause between
    slow, fast = (np.linalg.norm(program(n)[0].sum(axis=0)) for n in ("slow", "fast"))
    assert slow < 0.15 * 32 < 0.8 * 32 < fast
    swing, _ = program("back-and-forth-horizontal")
    assert (np.diff(np.sign(swing[:, 0])) != 0).sum() >= 1  # it turns back


def test_true_flow_moves_frame_t_onto_frame_t_plus_1() -> None:
    config = ProxyConfig(frames=6, size=48, noise=0.0)
    rgb, flow, _ = render(0, np.random.default_rng(7), config, flow=True)
    rgb_t, flow_t = torch.from_numpy(rgb), torch.from_numpy(flow)
    size = config.size
    ys, xs = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    errors_warped, errors_still = [], []
    for t in range(config.frames - 1):
        tx, ty = xs + flow_t[0, t], ys + flow_t[1, t]  # where pixel p of frame t is in frame t + 1
        grid = torch.stack([tx / size * 2 - 1, ty / size * 2 - 1], dim=-1)[None]
        warped = F.grid_sample(rgb_t[:, t + 1][None], grid, align_corners=False)[0]
        inside = (tx > 1.5) & (tx < size - 1.5) & (ty > 1.5) & (ty < size - 1.5)
        errors_warped.append((warped - rgb_t[:, t]).abs().mean(0)[inside].mean())
        errors_still.append((rgb_t[:, t + 1] - rgb_t[:, t]).abs().mean(0)[inside].mean())
    assert float(torch.stack(errors_warped).mean()) < 0.4 * float(torch.stack(errors_still).mean())


@pytest.mark.parametrize(("name", "sign"), [("clockwise", 1.0), ("counter-clockwise", -1.0)])
def test_rotation_sense_is_as_seen_on_screen(name: str, sign: float) -> None:
    # Clockwise on screen (y down): the top of the actor moves right, its right side moves down,
    # so the curl dv/dx - du/dy of the flow inside the actor is positive.
    label = [n for n, _ in PROXY_CLASSES].index(name)
    config = ProxyConfig(frames=4, size=64, distractors=0, noise=0.0)
    for seed in range(3):
        _, flow, _ = render(label, np.random.default_rng(seed), config, flow=True)
        u, v = flow[0, 0], flow[1, 0]
        du_dy, dv_dx = np.diff(u, axis=0)[:, :-1], np.diff(v, axis=1)[:-1, :]
        smooth = (np.abs(du_dy) < 1) & (np.abs(dv_dx) < 1) & ((np.abs(du_dy) + np.abs(dv_dx)) > 1e-4)
        assert np.sign((dv_dx - du_dy)[smooth].mean()) == sign


# --- a single frame says nothing, motion says a lot --------------------------------------------


@pytest.fixture(scope="module")
def clips() -> dict[str, torch.Tensor]:
    train, val = proxy_splits(train=1024, val=512, seed=11)
    out = {}
    for name, data in (("train", train), ("val", val)):
        items = [data[i] for i in range(len(data))]
        out[name] = torch.stack([item["rgb"] for item in items])
        out[name + "_y"] = torch.stack([item["label"] for item in items])
    return out


def gradients(gray: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return (gray.roll(-1, -1) - gray.roll(1, -1)) / 2, (gray.roll(-1, -2) - gray.roll(1, -2)) / 2


def single_frame_features(rgb: torch.Tensor, t: int) -> torch.Tensor:
    """Pooled appearance statistics of frame t: colour moments and gradient energies per channel."""
    frame = rgb[:, :, t]
    ix, iy = gradients(frame)
    return torch.cat([s.mean((2, 3)) for s in (frame, frame**2, ix * ix, iy * iy, ix * iy, ix.abs(), iy.abs())], 1)


def motion_features(rgb: torch.Tensor) -> torch.Tensor:
    """Lucas-Kanade style pooled products of temporal and spatial derivatives, per frame pair."""
    gray = rgb.mean(1)
    ix, iy = gradients(gray)
    ix, iy = (ix[:, 1:] + ix[:, :-1]) / 2, (iy[:, 1:] + iy[:, :-1]) / 2
    it = gray[:, 1:] - gray[:, :-1]
    return torch.cat([s.mean((2, 3)) for s in (ix * it, iy * it, ix * ix, iy * iy, ix * iy, it * it)], 1)


def accuracy(train: torch.Tensor, y: torch.Tensor, val: torch.Tensor, y_val: torch.Tensor, *, hidden: int = 0) -> float:
    """Validation accuracy of logistic regression (or a one-hidden-layer MLP) on standardised features."""
    torch.manual_seed(0)
    mean, std = train.mean(0), train.std(0) + 1e-6
    train, val = (train - mean) / std, (val - mean) / std
    classes = int(y.max()) + 1
    layers = (
        [torch.nn.Linear(train.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, classes)]
        if hidden
        else [torch.nn.Linear(train.shape[1], classes)]
    )
    model = torch.nn.Sequential(*layers)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.02, weight_decay=1e-3)
    for _ in range(150):
        optimiser.zero_grad()
        F.cross_entropy(model(train), y).backward()
        optimiser.step()
    with torch.no_grad():
        return float((model(val).argmax(1) == y_val).float().mean())


def anova_f(features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """One-way ANOVA F statistic of every feature column across the classes."""
    classes, count = int(labels.max()) + 1, len(labels)
    mean = features.mean(0)
    groups = [features[labels == c] for c in range(classes)]
    between = sum(len(g) * (g.mean(0) - mean) ** 2 for g in groups) / (classes - 1)
    within = sum(((g - g.mean(0)) ** 2).sum(0) for g in groups) / (count - classes)
    return between / within


def test_frame_statistics_do_not_depend_on_the_class(clips: dict[str, torch.Tensor]) -> None:
    # More sensitive than a classifier to small leaks: with 128 clips per class, the class means of
    # colour and gradient statistics of a frame must not differ beyond chance (F(7, 1016) has its
    # 99.99th percentile near 4.3). An actor a quarter larger for half the classes gives F near 10,
    # a brightness offset of 0.03 for half the classes F near 6.
    for t in (0, clips["train"].shape[2] - 1):
        f = anova_f(single_frame_features(clips["train"], t).double(), clips["train_y"])
        assert float(f.max()) < 4.0, f


@pytest.mark.slow  # trains two classifiers
def test_one_frame_is_at_chance_two_frames_are_not(clips: dict[str, torch.Tensor]) -> None:
    train, val, y, y_val = clips["train"], clips["val"], clips["train_y"], clips["val_y"]
    chance = 1 / 8  # with 512 validation clips one standard deviation at chance is 1.5 points
    last = train.shape[2] - 1
    pixels_first = accuracy(train[:, :, 0].flatten(1), y, val[:, :, 0].flatten(1), y_val)
    pixels_last = accuracy(train[:, :, last].flatten(1), y, val[:, :, last].flatten(1), y_val)
    pooled = accuracy(single_frame_features(train, 0), y, single_frame_features(val, 0), y_val, hidden=64)
    motion_linear = accuracy(motion_features(train), y, motion_features(val), y_val)
    motion_mlp = accuracy(motion_features(train), y, motion_features(val), y_val, hidden=64)
    for single in (pixels_first, pixels_last, pooled):
        assert single < chance + 0.075, (pixels_first, pixels_last, pooled)
    assert motion_linear > 0.4 and motion_mlp > 0.5, (motion_linear, motion_mlp)


# --- segmentation maps: opt-in, the same frames, the class in the actor's motion ---------------


def test_segmentation_maps_leave_the_clips_as_they_were() -> None:
    plain = ProxyDataset(samples=4, seed=2, flow=True)
    with_maps = ProxyDataset(samples=4, seed=2, flow=True, objects=True)
    for i in range(4):
        a, b = plain[i], with_maps[i]
        assert "segmentation" not in a and torch.equal(a["rgb"], b["rgb"]) and torch.equal(a["flow"], b["flow"])
        assert b["segmentation"].shape == (8, 32, 32) and b["segmentation"].dtype == torch.uint8
        assert torch.equal(b["segmentation"], ProxyDataset(samples=4, seed=2, objects=True)[i]["segmentation"])
    cached = ProxyDataset(samples=4, seed=2, objects=True, cache=True)
    assert torch.equal(cached[3]["segmentation"], with_maps[3]["segmentation"])
    spec = parse_data_spec("proxy:objects=3,train=2,val=2")
    assert spec.objects == 3 and parse_data_spec("proxy").objects is None
    assert torch.equal(spec.dataset("val")[1]["rgb"], parse_data_spec("proxy:train=2,val=2").dataset("val")[1]["rgb"])


def test_segmentation_maps_mark_the_actor_and_the_distractors() -> None:
    config = ProxyConfig(frames=6, size=48, noise=0.0)
    for label in range(8):
        clip = render(label, np.random.default_rng(label), config, objects=True)
        ids = clip.segmentation
        assert set(np.unique(ids)) <= {0, 1, 2} and (ids == PROXY_OBJECTS.index("actor")).any(axis=(1, 2)).all()
        background = ids == 0
        assert clip.rgb.std(axis=0)[~background].mean() > 0  # covered pixels show something
    alone = render(0, np.random.default_rng(0), ProxyConfig(distractors=0), objects=True).segmentation
    assert set(np.unique(alone)) == {0, 1}


def actor_centres(segmentation: torch.Tensor) -> torch.Tensor:
    """The actor's position in each frame as angles on the torus (circular mean of its mask): [B, T, 2]."""
    mask = (segmentation == PROXY_OBJECTS.index("actor")).double()
    size = mask.shape[-1]
    angle = 2 * np.pi * (torch.arange(size, dtype=torch.float64) + 0.5) / size
    along = (mask.sum(-2), mask.sum(-1))  # weights over x, over y
    return torch.stack([torch.atan2((w * angle.sin()).sum(-1), (w * angle.cos()).sum(-1)) for w in along], -1)


def actor_steps(segmentation: torch.Tensor) -> torch.Tensor:
    """How far the actor's mask moves between consecutive frames, x and y: [B, 2 (T - 1)]."""
    step = actor_centres(segmentation).diff(dim=1)
    return torch.remainder(step + np.pi, 2 * np.pi).sub(np.pi).flatten(1).float()


def first_frame(segmentation: torch.Tensor) -> torch.Tensor:
    """Where the actor is in the first frame and how large it is: what one frame's mask says."""
    centre = actor_centres(segmentation[:, :1])[:, 0]
    area = (segmentation[:, 0] == PROXY_OBJECTS.index("actor")).double().mean((1, 2))[:, None]
    return torch.cat([centre.sin(), centre.cos(), area], 1).float()


def test_the_actor_mask_over_time_carries_the_class() -> None:
    train, val = proxy_splits(train=512, val=256, seed=5, objects=True)
    maps = {
        name: torch.stack([data[i]["segmentation"] for i in range(len(data))])
        for name, data in (("train", train), ("val", val))
    }
    y, y_val = (torch.arange(len(data)) % data.num_classes for data in (train, val))
    chance = 1 / 8  # 256 validation clips: one standard deviation at chance is 2 points
    moving = accuracy(actor_steps(maps["train"]), y, actor_steps(maps["val"]), y_val)
    still = accuracy(first_frame(maps["train"]), y, first_frame(maps["val"]), y_val)
    assert moving > 0.5 and still < chance + 0.08, (moving, still)
