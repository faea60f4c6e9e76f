"""What a data layout declares: its kind, the path it takes, and its options with their types,
defaults and bounds. The declaration is the one statement of a layout's options: the parser
rejects any other option by name, converts and checks the given ones, and the syntax shown in
messages is written from it. Each layout is a module of `anet.data.layouts` (see there)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dataspec import DataSpecError

if TYPE_CHECKING:
    from .dataspec import DataSpec

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Option:
    """One KEY=VALUE of a data spec; `default` applies when the spec leaves it out."""

    default: Any = None

    def convert(self, key: str, value: str, spec: str) -> Any:
        raise NotImplementedError

    def shown(self) -> str:
        """How the syntax line writes the value: the default, or what to give."""
        return str(self.default)

    def _as(self, key: str, value: str, spec: str, kind: type) -> Any:
        try:
            return kind(value)
        except ValueError:
            raise DataSpecError(f"option {key}={value!r} in {spec!r} is not {kind.__name__}") from None


@dataclass(frozen=True)
class Integer(Option):
    minimum: int = 1

    def convert(self, key: str, value: str, spec: str) -> int:
        number = self._as(key, value, spec, int)
        if number < self.minimum:
            raise DataSpecError(f"option {key}={number} in {spec!r} must be at least {self.minimum}")
        return number

    def shown(self) -> str:
        return "N" if self.default is None else str(self.default)


@dataclass(frozen=True)
class Number(Option):
    low: float = 0.0
    high: float = math.inf

    def convert(self, key: str, value: str, spec: str) -> float:
        number = self._as(key, value, spec, float)
        if not self.low <= number <= self.high:
            raise DataSpecError(f"option {key}={number} in {spec!r} must be in [{self.low}, {self.high}]")
        return number

    def shown(self) -> str:
        return "X" if self.default is None else f"{self.default:g}"


@dataclass(frozen=True)
class Flag(Option):
    """true/false; a default of None means the layout decides from the data."""

    def convert(self, key: str, value: str, spec: str) -> bool:
        lowered = value.lower()
        if lowered not in _TRUE | _FALSE:
            raise DataSpecError(f"option {key}={value!r} in {spec!r} is not true or false")
        return lowered in _TRUE

    def shown(self) -> str:
        return "BOOL" if self.default is None else str(self.default).lower()


@dataclass(frozen=True)
class ExistingPath(Option):
    """A file or folder that must exist; `metavar` says which (FILE, DIR, LIST)."""

    metavar: str = "FILE"

    def convert(self, key: str, value: str, spec: str) -> Path:
        return existing(Path(value).expanduser(), spec, key)

    def shown(self) -> str:
        return self.metavar


def existing(path: Path, spec: str, what: str) -> Path:
    if not path.exists():
        raise DataSpecError(f"{what} {path} in data spec {spec!r} does not exist")
    return path


# The clip options every layout of real video takes: frames per clip, clip size, sampling rate
# (default: each video's own, or the layout's), training flip probability, the short side
# validation clips are resized to before the centre crop, and the class count of the segmentation
# maps beside each video (none by default; `anet.data.segmentation`).
CLIP_OPTIONS: dict[str, Option] = {
    "frames": Integer(),
    "size": Integer(),
    "fps": Number(low=1e-3),
    "flip": Number(0.5, high=1.0),
    "eval_short_side": Integer(),
    "objects": Integer(minimum=2),
}


class Values(Mapping[str, Any]):
    """A spec's options, converted, with the defaults filled in. It records which options the
    layout read: every option it declares must be read while the layout builds its DataSpec (not
    later, in its dataset factory), else the declaration promises an option that does nothing;
    `parse_data_spec` checks that."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values, self.read = values, set[str]()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return self._values[key]

    def __iter__(self) -> Any:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def clip(self) -> dict[str, Any]:
        """The clip options, as DataSpec fields."""
        return {key: self[key] for key in CLIP_OPTIONS}


Build = Callable[[str, str | None, Values], "DataSpec"]


@dataclass(frozen=True)
class Layout:
    """A kind of data spec: `kind:PATH,key=value,...`.

    `path` is what the path names (shown in the syntax; None: the layout takes no path), `note`
    follows the syntax in messages, `build` makes the DataSpec from the spec text, the path (not
    yet checked: the layout says what it is in its message) and the option values."""

    kind: str
    path: str | None
    options: Mapping[str, Option]
    build: Build
    note: str = ""
    required: tuple[str, ...] = ()  # options a spec must give

    def syntax(self) -> str:
        ordered = sorted(self.options, key=lambda key: key not in self.required)  # required ones first
        shown = {key: f"{key}={self.options[key].shown()}" for key in ordered}
        if self.path is None:
            text = f"{self.kind}[:{','.join(shown.values())}]"
        else:
            text = f"{self.kind}:{self.path}" + "".join(
                f",{item}" if key in self.required else f"[,{item}]" for key, item in shown.items()
            )
        return f"{text}  ({self.note})" if self.note else text

    def values(self, spec: str, raw: Mapping[str, str]) -> Values:
        for key in self.required:
            if key not in raw:
                shown = f"{key}={self.options[key].shown()}"
                raise DataSpecError(f"{self.kind} needs {shown} in {spec!r}. Syntax: {self.syntax()}")
        converted = {key: option.default for key, option in self.options.items()}
        for key, value in raw.items():
            converted[key] = self.options[key].convert(key, value, spec)
        return Values(converted)
