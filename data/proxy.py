"""A built-in synthetic proxy task whose classes are defined by motion alone.

Each clip shows one textured object (the "actor") over a drifting textured background with small
distractor dots that move too. The class is what the actor does over time: move in a direction, turn
clockwise or counter-clockwise, do two moves in a given order with a pause between them, move slowly
or fast, swing back and forth. Everything else (textures, colours, shape, size, start position and
angle, background drift, distractors, noise) is drawn independently of the class.

Why a single frame carries no label information, by construction: the actor lives on a torus (it
wraps around the frame edges) and its start position and angle are uniform, so its position and angle
at any fixed frame are uniform whatever it does over time; no class changes size, colour or texture;
there is no motion blur. Every frame, taken alone, therefore has the same distribution for every class.
What separates classes is displacement between frames, and for the two-move classes ("right then up"
against "up then right") the order of two events some frames apart, which a network with a short
temporal receptive field cannot see (this is where temporal dilation can matter).

Clips are generated on the fly from (seed, split, index), vectorised in numpy (about a millisecond for
8 x 32 x 32), so there are no files and the same seed gives bit-identical clips on any worker. Labels
are balanced: item i has class i % classes. Distances are fractions of the frame size per clip, so a
clip looks the same at 32 or 64 px and at 8 or 16 frames (longer clips move less per frame).

Segmentation maps (opt-in, for object stems): what a perfect segmenter would say of each pixel,
background, actor or distractor (`PROXY_OBJECTS`). They carry the class the way the frames do: the
actor's mask over time shows its motion, and one frame's mask shows nothing of it. Rendering them
draws no random numbers, so the frames are the same bits with or without them.

Horizontal flips turn "left" into "right": never flip this data without remapping labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch
from torch.utils.data import Dataset

# Unit vectors in image coordinates: x rightwards, y downwards (so "up" is -y).
_RIGHT, _LEFT, _UP, _DOWN = (1.0, 0.0), (-1.0, 0.0), (0.0, -1.0), (0.0, 1.0)

# Per-step velocities [steps, 2] (pixels) and per-step turns [steps] (radians, + = clockwise on screen).
Motion = tuple[np.ndarray, np.ndarray]
Program = Callable[[np.random.Generator, int, int], Motion]


def _still(steps: int) -> np.ndarray:
    return np.zeros(steps)


def _heading(rng: np.random.Generator, direction: tuple[float, float], jitter: float = 0.17) -> np.ndarray:
    """The unit vector of `direction` turned by up to +-`jitter` radians (about 10 degrees)."""
    angle = np.arctan2(direction[1], direction[0]) + rng.uniform(-jitter, jitter)
    return np.array([np.cos(angle), np.sin(angle)])


def _translate(direction: tuple[float, float]) -> Program:
    """Moves one way at a steady speed: 35-55 % of the frame size over the clip."""

    def program(rng: np.random.Generator, steps: int, size: int) -> Motion:
        distance = rng.uniform(0.35, 0.55) * size
        velocity = np.tile(_heading(rng, direction) * distance / steps, (steps, 1))
        return velocity, _still(steps)

    return program


def _speed(low: float, high: float) -> Program:
    """Moves in any direction at a speed in [low, high] frame sizes per clip (speed is the class)."""

    def program(rng: np.random.Generator, steps: int, size: int) -> Motion:
        angle = rng.uniform(0, 2 * np.pi)
        distance = rng.uniform(low, high) * size
        velocity = np.tile(np.array([np.cos(angle), np.sin(angle)]) * distance / steps, (steps, 1))
        return velocity, _still(steps)

    return program


def _rotate(sense: float) -> Program:
    """Turns 90-180 degrees over the clip in place (with a slow drift of at most 8 % of the frame)."""

    def program(rng: np.random.Generator, steps: int, size: int) -> Motion:
        turn = sense * rng.uniform(0.5 * np.pi, np.pi) / steps
        angle = rng.uniform(0, 2 * np.pi)
        drift = np.array([np.cos(angle), np.sin(angle)]) * rng.uniform(0, 0.08) * size / steps
        return np.tile(drift, (steps, 1)), np.full(steps, turn)

    return program


def _two_moves(first: tuple[float, float], second: tuple[float, float]) -> Program:
    """Moves one way, pauses, then moves another way; each move 30-40 % of the steps, 20-30 % of the size."""

    def program(rng: np.random.Generator, steps: int, size: int) -> Motion:
        low, high = max(1, round(0.3 * steps)), max(1, round(0.4 * steps))
        moves = [int(rng.integers(low, high + 1)) for _ in range(2)]
        while sum(moves) >= steps:  # keep at least one still step between the moves
            moves[int(np.argmax(moves))] -= 1
        velocity = np.zeros((steps, 2))
        velocity[: moves[0]] = _heading(rng, first) * rng.uniform(0.2, 0.3) * size / moves[0]
        velocity[steps - moves[1] :] = _heading(rng, second) * rng.uniform(0.2, 0.3) * size / moves[1]
        return velocity, _still(steps)

    return program


def _swing(axis: tuple[float, float]) -> Program:
    """Back-and-forth along an axis: 1-1.5 periods of a sine, amplitude 8-12 % of the frame."""

    def program(rng: np.random.Generator, steps: int, size: int) -> Motion:
        cycles = rng.uniform(1.0, 1.5)
        amplitude = rng.uniform(0.08, 0.12) * size
        phase = rng.uniform(0, 2 * np.pi)
        offset = amplitude * np.sin(2 * np.pi * cycles * np.arange(steps + 1) / steps + phase)
        return np.diff(offset)[:, None] * _heading(rng, axis, jitter=0.1)[None, :], _still(steps)

    return program


# The catalogue, in class order; the first `classes` entries are used. The default 8 cover direction,
# rotation sense and temporal order; 16 add speed, periodic motion and reversals.
PROXY_CLASSES: tuple[tuple[str, Program], ...] = (
    ("right", _translate(_RIGHT)),
    ("left", _translate(_LEFT)),
    ("up", _translate(_UP)),
    ("down", _translate(_DOWN)),
    ("clockwise", _rotate(+1.0)),
    ("counter-clockwise", _rotate(-1.0)),
    ("right-then-up", _two_moves(_RIGHT, _UP)),
    ("up-then-right", _two_moves(_UP, _RIGHT)),
    ("slow", _speed(0.06, 0.14)),
    ("fast", _speed(0.8, 1.1)),
    ("back-and-forth-horizontal", _swing(_RIGHT)),
    ("back-and-forth-vertical", _swing(_DOWN)),
    ("left-then-down", _two_moves(_LEFT, _DOWN)),
    ("down-then-left", _two_moves(_DOWN, _LEFT)),
    ("right-then-left", _two_moves(_RIGHT, _LEFT)),
    ("down-then-up", _two_moves(_DOWN, _UP)),
)
MAX_CLASSES = len(PROXY_CLASSES)
# The classes of the segmentation maps, by id; the actor is drawn last, over the distractors.
PROXY_OBJECTS = ("background", "actor", "distractor")
_ACTOR, _DISTRACTOR = PROXY_OBJECTS.index("actor"), PROXY_OBJECTS.index("distractor")
_SPLITS = {"train": 0, "val": 1}


@dataclass(frozen=True, kw_only=True)
class ProxyConfig:
    """The proxy task's knobs.

    Args:
        classes: how many classes of `PROXY_CLASSES` to use (2 to 16).
        frames: frames per clip (at least 4, so that two moves and a pause fit).
        size: frame height and width in pixels (at least 16).
        distractors: small moving dots besides the actor.
        noise: standard deviation of per-pixel (uniform) noise.
    """

    classes: int = 8
    frames: int = 8
    size: int = 32
    distractors: int = 2
    noise: float = 0.02

    def __post_init__(self) -> None:
        if not 2 <= self.classes <= MAX_CLASSES:
            raise ValueError(f"the proxy task has 2 to {MAX_CLASSES} classes, got classes={self.classes}")
        if self.frames < 4:
            raise ValueError(f"proxy clips need at least 4 frames, got frames={self.frames}")
        if self.size < 16:
            raise ValueError(f"proxy clips need at least 16 px, got size={self.size}")


def _texture(
    rng: np.random.Generator,
    a: np.ndarray,
    b: np.ndarray,
    *,
    rotation: np.ndarray,
    waves: int,
    wavelength: tuple[float, float],
) -> np.ndarray:
    """A random smooth pattern in [-1, 1], float32 [T, S, S]: plane waves turned by `rotation` [T].

    a is [T, 1, S] (x-like) and b is [T, S, 1] (y-like) coordinates. A plane wave is separable,
    sin(p(a) + q(b)) = sin p cos q + cos p sin q, so the sum over waves is one batched matrix product
    of [T, S, 2W] by [T, 2W, S] and sines are only taken on [T, S].
    """
    cos, sin = np.cos(rotation)[:, None], np.sin(rotation)[:, None]
    direction = rng.uniform(0, 2 * np.pi, waves)
    k = 2 * np.pi / rng.uniform(*wavelength, waves)
    kx, ky = k * np.cos(direction), k * np.sin(direction)
    p = (kx * cos - ky * sin)[:, None, :] * a[:, 0, :, None]  # [T, S, W], the phase along a
    q = (kx * sin + ky * cos)[:, None, :] * b[:, :, 0, None] + rng.uniform(0, 2 * np.pi, waves)
    rows = np.concatenate([np.cos(q), np.sin(q)], axis=2).astype(np.float32)  # [T, S(y), 2W]
    cols = np.concatenate([np.sin(p), np.cos(p)], axis=2).astype(np.float32)  # [T, S(x), 2W]
    value = np.matmul(rows, cols.transpose(0, 2, 1))
    value *= 1.0 / waves
    return value


def _colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two random RGB colours [3, 1, 1, 1] that differ visibly (mean channel difference at least 0.3)."""
    first, second = rng.uniform(0, 1, 3), rng.uniform(0, 1, 3)
    if np.abs(first - second).mean() < 0.3:
        second = 1.0 - first
    return first.astype(np.float32)[:, None, None, None], second.astype(np.float32)[:, None, None, None]


def _paint(image: np.ndarray, colour: np.ndarray, alpha: np.ndarray) -> None:
    """image <- image * (1 - alpha) + colour * alpha, in place; colour [3, 1, 1, 1] or like image.

    (Blending whole arrays is faster than selecting the covered pixels: boolean indexing of
    [3, T, S, S] arrays costs more than the arithmetic it saves.)
    """
    delta = colour - image
    delta *= alpha
    image += delta


def _wrapped(delta: np.ndarray, size: int) -> np.ndarray:
    """Differences on the torus, in [-size / 2, size / 2)."""
    return (delta + size / 2) % size - size / 2


class Rendered(NamedTuple):
    """One proxy clip: rgb float32 [3, T, S, S] in [0, 1]; flow float32 [2, T, S, S] and segmentation
    uint8 class ids [T, S, S] (`PROXY_OBJECTS`) when asked for."""

    rgb: np.ndarray
    flow: np.ndarray | None
    segmentation: np.ndarray | None


def render(
    label: int, rng: np.random.Generator, config: ProxyConfig, *, flow: bool = False, objects: bool = False
) -> Rendered:
    """One clip of class `label`, with its flow and its segmentation maps when asked for.

    Flow is the true displacement (pixels, x right, y down) of what each pixel of frame t shows, to
    frame t + 1; the last frame repeats the previous flow, as the official AssembleNet flow layer does.
    A pixel's segmentation is the object that covers at least half of it.
    """
    size, frames, steps = config.size, config.frames, config.frames - 1
    velocity, turn = PROXY_CLASSES[label][1](rng, steps, size)
    centre = rng.uniform(0, size, 2) + np.concatenate([np.zeros((1, 2)), np.cumsum(velocity, axis=0)])
    angle = rng.uniform(0, 2 * np.pi) + np.concatenate([[0.0], np.cumsum(turn)])
    coords = np.arange(size) + 0.5
    x, y = coords[None, None, :], coords[None, :, None]  # broadcast to [T, S, S]
    no_turn = np.zeros(frames)

    # Background: low-contrast smooth texture drifting at up to 25 % of the frame per clip.
    drift_angle = rng.uniform(0, 2 * np.pi)
    drift = np.array([np.cos(drift_angle), np.sin(drift_angle)]) * rng.uniform(0, 0.25) * size / steps
    shift = np.arange(frames)[:, None] * drift  # [T, 2]
    bx, by = x - shift[:, 0, None, None], y - shift[:, 1, None, None]
    mix = _texture(rng, bx, by, rotation=no_turn, waves=4, wavelength=(0.3 * size, 1.0 * size))
    low, high = _colours(rng)
    image = low + (high - low) * (0.5 + 0.35 * mix)
    motion = np.broadcast_to(drift[:, None, None, None], (2, frames, size, size)).copy() if flow else None
    segmentation = np.zeros((frames, size, size), dtype=np.uint8) if objects else None

    # Distractors: small solid dots moving straight at up to 60 % of the frame per clip.
    for _ in range(config.distractors):
        radius = rng.uniform(0.04, 0.07) * size
        heading = rng.uniform(0, 2 * np.pi)
        step = np.array([np.cos(heading), np.sin(heading)]) * rng.uniform(0, 0.6) * size / steps
        where = rng.uniform(0, size, 2) + np.arange(frames)[:, None] * step
        dx = _wrapped(x - where[:, 0, None, None], size).astype(np.float32)
        dy = _wrapped(y - where[:, 1, None, None], size).astype(np.float32)
        alpha = np.clip(radius + 0.5 - np.sqrt(dx * dx + dy * dy), 0, 1)
        _paint(image, rng.uniform(0, 1, (3, 1, 1, 1)).astype(np.float32), alpha)
        if motion is not None:
            motion[:, alpha > 0.5] = step[:, None]
        if segmentation is not None:
            segmentation[alpha > 0.5] = _DISTRACTOR

    # The actor: a textured disc or square, on a torus so that its position at any frame is uniform.
    radius = rng.uniform(0.14, 0.22) * size
    dx = _wrapped(x - centre[:, 0, None, None], size).astype(np.float32)  # [T, 1, S]
    dy = _wrapped(y - centre[:, 1, None, None], size).astype(np.float32)  # [T, S, 1]
    if rng.uniform() < 0.5:  # square: its extent in actor-frame coordinates (u, v) = R(-angle)(dx, dy)
        cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
        extent = np.maximum(np.abs(cos * dx + sin * dy), np.abs(cos * dy - sin * dx))
    else:  # disc
        extent = np.sqrt(dx * dx + dy * dy)
    alpha = np.clip(radius + 0.5 - extent, 0, 1).astype(np.float32)
    pattern = _texture(rng, dx, dy, rotation=-angle, waves=3, wavelength=(0.6 * radius, 1.5 * radius))
    sharp = np.clip(pattern * 2 + 0.5, 0, 1)  # two colours with a soft boundary between them
    first, second = _colours(rng)
    _paint(image, first + (second - first) * sharp, alpha)
    if segmentation is not None:
        segmentation[alpha > 0.5] = _ACTOR
    if motion is not None:
        inside = alpha[:-1] > 0.5
        cos_t, sin_t = np.cos(turn)[:, None, None], np.sin(turn)[:, None, None]
        ex, ey = np.broadcast_arrays(dx[:-1], dy[:-1])
        moved_x = velocity[:, 0, None, None] + cos_t * ex - sin_t * ey - ex
        moved_y = velocity[:, 1, None, None] + sin_t * ex + cos_t * ey - ey
        motion[0, :-1][inside] = moved_x[inside]
        motion[1, :-1][inside] = moved_y[inside]
        motion[:, -1] = motion[:, -2]

    if config.noise > 0:  # uniform noise with the requested standard deviation (cheaper than Gaussian)
        noise = rng.random(image.shape, dtype=np.float32)
        noise -= 0.5
        noise *= config.noise * np.sqrt(12.0)
        image += noise
    np.clip(image, 0, 1, out=image)
    return Rendered(image, motion.astype(np.float32) if motion is not None else None, segmentation)


class ProxyDataset(Dataset[dict[str, Any]]):
    """The synthetic motion task as a torch Dataset (see the module docstring).

    Args:
        samples: number of items.
        split: "train" or "val"; the two splits come from different random streams.
        seed: base seed; (seed, split, index) fixes an item completely.
        flow: also return the true flow as item["flow"].
        objects: also return segmentation maps (uint8 ids of `PROXY_OBJECTS`) as item["segmentation"].
        cache: render every item once, at construction, and serve copies from memory afterwards
            (samples x 3 x frames x size^2 x 4 bytes, 50 MB for 512 clips of 8 x 32 x 32); worth it when
            many epochs or many models (an evolution run) reuse the same clips.
        config: classes, frames, size, distractors, noise.
    """

    def __init__(
        self,
        *,
        samples: int = 512,
        split: str = "train",
        seed: int = 0,
        flow: bool = False,
        objects: bool = False,
        cache: bool = False,
        config: ProxyConfig | None = None,
    ) -> None:
        if split not in _SPLITS:
            raise ValueError(f"proxy split must be 'train' or 'val', got {split!r}")
        if samples < 1:
            raise ValueError(f"samples must be at least 1, got {samples}")
        self.samples, self.split, self.seed, self.flow, self.objects = samples, split, seed, flow, objects
        self.config = config or ProxyConfig()
        self.num_classes = self.config.classes
        self.multi_label = False
        self.class_names = tuple(name for name, _ in PROXY_CLASSES[: self.config.classes])
        self._cache: list[dict[str, Any]] | None = None
        if cache:
            self._cache = [self._render(index) for index in range(samples)]

    def __len__(self) -> int:
        return self.samples

    def __getitem__(self, index: int) -> dict[str, Any]:
        if not 0 <= index < self.samples:
            raise IndexError(f"index {index} out of range for {self.samples} samples")
        if self._cache is not None:  # copies, so that in-place changes by a consumer stay local
            return {k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in self._cache[index].items()}
        return self._render(index)

    def _render(self, index: int) -> dict[str, Any]:
        label = index % self.num_classes
        rng = np.random.default_rng([self.seed, _SPLITS[self.split], index])
        clip = render(label, rng, self.config, flow=self.flow, objects=self.objects)
        item: dict[str, Any] = {
            "rgb": torch.from_numpy(clip.rgb),
            "label": torch.tensor(label, dtype=torch.int64),
            "video": f"proxy/{self.split}/{index}",
        }
        if clip.flow is not None:
            item["flow"] = torch.from_numpy(clip.flow)
        if clip.segmentation is not None:
            item["segmentation"] = torch.from_numpy(clip.segmentation)
        return item


def proxy_splits(
    *,
    train: int = 512,
    val: int = 512,
    seed: int = 0,
    flow: bool = False,
    objects: bool = False,
    cache: bool = False,
    config: ProxyConfig | None = None,
) -> tuple[ProxyDataset, ProxyDataset]:
    """Train and validation proxy datasets that share nothing but their configuration."""
    return (
        ProxyDataset(samples=train, split="train", seed=seed, flow=flow, objects=objects, cache=cache, config=config),
        ProxyDataset(samples=val, split="val", seed=seed, flow=flow, objects=objects, cache=cache, config=config),
    )
