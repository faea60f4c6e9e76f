"""Command-line options made from the pydantic settings they fill, so that a default, a bound or a
choice is stated once, in the settings (`TrainConfig`, `EvolutionConfig`, `proxy_training()`),
and the command line cannot drift from what the settings accept."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import click
from pydantic import BaseModel

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def config_option(
    *decls: str, defaults: type[BaseModel] | BaseModel, field: str | None = None, **kwargs: Any
) -> Decorator:
    """A click option for one field of a settings model: its type, bounds and choices from the
    field, its default from `defaults` (the model's own defaults, or an instance such as
    `proxy_training()`), its help from the field's description unless `help` is given. Other
    keyword arguments (an explicit `default`, `help`, a `metavar`) go to `click.option` as they are."""
    model = defaults if isinstance(defaults, type) else type(defaults)
    name = field or next(d for d in decls if d.startswith("--"))[2:].split("/")[0].replace("-", "_")
    info = model.model_fields[name]
    default = (
        getattr(defaults, name) if isinstance(defaults, BaseModel) else info.get_default(call_default_factory=True)
    )
    options: dict[str, Any] = {"default": default, **kwargs}
    annotation, metadata = _plain(info.annotation)
    if annotation is bool:
        options.setdefault("is_flag", True)
    else:
        options.setdefault("type", click_type(annotation, [*info.metadata, *metadata]))
    if options["default"] is not None:
        options.setdefault("show_default", True)
    if info.description and "help" not in options:
        options["help"] = info.description[0].upper() + info.description[1:] + "."
    return click.option(*decls, **options)


def click_type(annotation: Any, metadata: list[Any]) -> click.ParamType | type | None:
    """The click type that accepts what the field accepts: a range from its bounds, a choice
    from its Literal."""
    if get_origin(annotation) is Literal:
        return click.Choice(list(get_args(annotation)))
    bounds = {type(m): m for m in metadata if isinstance(m, annotated_types.BaseMetadata)}
    low = bounds.get(annotated_types.Ge) or bounds.get(annotated_types.Gt)
    high = bounds.get(annotated_types.Le) or bounds.get(annotated_types.Lt)
    lowest = None if low is None else getattr(low, "ge", getattr(low, "gt", None))
    highest = None if high is None else getattr(high, "le", getattr(high, "lt", None))
    if annotation is int:
        if lowest is None and highest is None:
            return int
        # integers: an open bound is the closed one next to it (x>=1 reads better than x>0)
        return click.IntRange(
            None if lowest is None else lowest + isinstance(low, annotated_types.Gt),
            None if highest is None else highest - isinstance(high, annotated_types.Lt),
        )
    if annotation is float:
        if lowest is None and highest is None:
            return float
        return click.FloatRange(
            lowest,
            highest,
            min_open=isinstance(low, annotated_types.Gt),
            max_open=isinstance(high, annotated_types.Lt),
        )
    if annotation is str:
        return None
    raise TypeError(f"no command-line type for {annotation!r}")


def _plain(annotation: Any) -> tuple[Any, list[Any]]:
    """The type without `| None`, and the constraints an `Annotated` inside it carries (as
    `PositiveInt | None` does)."""
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            annotation = rest[0]
    if get_origin(annotation) is Annotated:
        plain, *metadata = get_args(annotation)
        return plain, metadata
    return annotation, []


class DataSpecOption(click.Option):
    """`--data`: its help ends with the data layouts' kinds, read from the layouts themselves
    (`anet.data.layouts.registered`) so that it lists what the parser accepts. The layouts import
    torch, so they are read when the help is, not whenever the command line is built."""

    _text: str | None = None

    @property  # type: ignore[override]
    def help(self) -> str | None:
        from ..data.layouts import registered

        kinds = ", ".join(kind + (f":{layout.path}" if layout.path else "") for kind, layout in registered().items())
        syntax = "KIND[:PATH][,KEY=VALUE...]"
        return f"{self._text or 'Data spec.'} {syntax}, one of {kinds}; a wrong KEY's error lists the KIND's keys."

    @help.setter
    def help(self, text: str | None) -> None:
        self._text = text
