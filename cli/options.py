"""Command-line options made from the pydantic settings they fill, so that a default, a bound or a
choice is stated once, in the settings (`TrainConfig`, `EvolutionConfig`, `proxy_training()`),
and the command line cannot drift from what the settings accept.

A command names the fields it offers once (`settings_options`), and receives the settings built
from them and validated; `config_option` makes the option of one field."""

from __future__ import annotations

import dataclasses
import functools
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import click
from pydantic import BaseModel, ValidationError

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


@dataclass(frozen=True)
class Setting:
    """A field offered as an option: its name in the settings, and what the option says otherwise
    than the field would: `decls`, its dashed names if not `--field-name`; `options`, arguments of
    `click.option` such as `help`, an explicit `default` or `cls`."""

    field: str
    decls: tuple[str, ...] = ()
    options: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Nested:
    """Fields of a settings model that is a field of the outer one (`EvolutionConfig.train`), offered
    by the same command; their defaults are the outer defaults' value of that field."""

    field: str
    settings: tuple[Setting | Nested | str, ...]


def setting(name: str, *decls: str, **options: Any) -> Setting:
    return Setting(name, decls, options)


def nested(name: str, *settings: Setting | Nested | str) -> Nested:
    return Nested(name, settings)


def signal_settings(*, where: str) -> tuple[Setting, Setting]:
    """`--edge-lr` and `--bn-batches`, the two settings that give the search its signal, for `anet train`
    and `anet evolve` alike (their defaults, `TrainConfig()` and `proxy_training()`, differ: `where`
    says which one the command's is)."""
    return (
        setting("edge_lr", help=f"Learning-rate multiplier of the connection-weight logits ({where})."),
        setting("bn_batches"),
    )


FieldPath = tuple[str, ...]  # a field of nested settings: ("train", "iterations")


def settings_options(defaults: BaseModel, *settings: Setting | Nested | str, into: str) -> Decorator:
    """The options of `settings` (field names, `setting(...)`, `nested(...)`), in that order, and the
    command called with the settings they make as its argument `into`: `defaults` with the values
    given, where an option at None leaves its field at the default. Each option's parameter is named
    after its field, so that a field is named once, where the command lists it. A value the settings
    refuse is a usage error that names its option (exit 2)."""
    flat = list(_flatten(defaults, settings))
    offered = {path[-1]: (path, owner, entry) for path, owner, entry in flat}
    if len(offered) != len(flat):
        raise ValueError(f"two offered settings share a name: {[path for path, _, _ in flat]}")

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def with_settings(*args: Any, **kwargs: Any) -> Any:
            given = {path: kwargs.pop(name) for name, (path, _, _) in offered.items()}
            kwargs[into] = _validated(defaults, given)
            return command(*args, **kwargs)

        for name, (_, owner, entry) in reversed(offered.items()):  # click lists options bottom-up
            decls = entry.decls or ("--" + name.replace("_", "-"),)
            with_settings = config_option(*decls, name, defaults=owner, field=name, **entry.options)(with_settings)
        return with_settings

    return decorate


def _flatten(
    defaults: BaseModel, settings: tuple[Setting | Nested | str, ...]
) -> Iterator[tuple[FieldPath, BaseModel, Setting]]:
    """Each offered field: its path, the settings it belongs to (their value is its default), and
    how it is offered."""
    for entry in settings:
        if isinstance(entry, Nested):
            for path, owner, inner in _flatten(getattr(defaults, entry.field), entry.settings):
                yield (entry.field, *path), owner, inner
        else:
            offered = Setting(entry) if isinstance(entry, str) else entry
            yield (offered.field,), defaults, offered


def _validated(defaults: BaseModel, given: dict[FieldPath, Any]) -> BaseModel:
    """The settings; a refused value names its option, a refused combination (a model's own check)
    the options of that model."""
    try:
        return type(defaults).model_validate(_values(defaults, given))
    except ValidationError as exc:
        ctx = click.get_current_context()
        error = exc.errors()[0]
        where = tuple(map(str, error["loc"]))
        message = error["msg"].removeprefix("Value error, ")
        names = {path[-1] for path in given if path[: len(where)] == where}
        params = [p for p in ctx.command.params if p.name in names]
        if len(params) == 1:
            raise click.BadParameter(message, ctx=ctx, param=params[0]) from None
        hints = ", ".join(p.get_error_hint(ctx) for p in params) or ".".join(where)
        raise click.UsageError(f"Invalid values for {hints}: {message}", ctx=ctx) from None


def _values(defaults: BaseModel, given: dict[FieldPath, Any]) -> dict[str, Any]:
    """The fields `defaults` set, with the values given (those of a nested model, the same way)."""
    values = defaults.model_dump(exclude_unset=True)
    inner: dict[str, dict[FieldPath, Any]] = {}
    for path, value in given.items():
        if len(path) > 1:
            inner.setdefault(path[0], {})[path[1:]] = value
        elif value is not None:
            values[path[0]] = value
    for name, fields in inner.items():
        values[name] = _values(getattr(defaults, name), fields)
    return values


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


class DeployShape(click.ParamType):
    """`--deploy-shape 32x224`: frames and size of the clip a deployed network sees."""

    name = "FRAMESxSIZE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[int, int]:
        if isinstance(value, tuple):
            return value
        from ..cost.deploy import DeployTarget

        try:
            target = DeployTarget.from_shape(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return target.frames, target.size
