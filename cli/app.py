"""The `anet` command group and its error policy: bad input gets located diagnostics and exit 1,
usage errors exit 2 (click's convention), a long command stopped by Ctrl-C or SIGTERM exits
128 + the signal's number with one line, and no Python traceback reaches the user unless
ANET_DEBUG=1 asks for one. The user's mistakes are `AnetError` (diagnostics), `UserError` (one
message naming the file or option) and `OSError`; anything else is a bug in anet: exit 3.
Warnings that anet's modules log (a skipped video, a suspicious CSV row) are shown as
`anet: warning: ...`."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import Any

import click

from .. import __version__
from ..dsl import AnetError, render_text
from ..errors import UserError

# The module that defines each `anet` command. Running a command imports only its module: `anet
# check` must not pay for torch, the compiler or the search (seconds) before it reads one file.
COMMAND_MODULES = {
    **dict.fromkeys(("check", "fmt", "import"), "anet.cli.language"),
    "export": "anet.cli.export",
    "predict": "anet.cli.predict",
    "info": "anet.cli.info",
    "evolve": "anet.cli.evolve",
    "runs": "anet.cli.runs",
    "render": "anet.cli.render",
    "train": "anet.cli.train",
    "eval": "anet.cli.evaluate",
    "flow": "anet.cli.flow",
    "lsp": "anet.cli.lsp",
}


class CommandFailed(click.ClickException):
    """A failure the user can act on (missing file, unreadable JSON): message, exit 1."""

    exit_code = 1


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt (and, like it, past `except Exception`)."""


@contextlib.contextmanager
def stops_cleanly(hint: str) -> Iterator[None]:
    """Ctrl-C and SIGTERM unwind the body (so its `finally` blocks stop worker processes and
    release locks), then end the command with one line, "interrupted; HINT", and 130 or 143."""

    def terminate(signum: int, frame: object) -> None:
        raise Terminated

    main = threading.current_thread() is threading.main_thread()  # only there can handlers be set
    previous = signal.signal(signal.SIGTERM, terminate) if main else None
    try:
        yield
    except KeyboardInterrupt:
        click.echo(f"interrupted; {hint}", err=True)
        sys.exit(128 + signal.SIGINT)
    except Terminated:
        click.echo(f"terminated; {hint}", err=True)
        sys.exit(128 + signal.SIGTERM)
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)


class AnetGroup(click.Group):
    def __init__(self, *args: Any, command_modules: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.command_modules = dict(command_modules or {})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            if cmd_name in self.command_modules:
                import_module(self.command_modules[cmd_name])
            else:  # a command missing from the table still runs; a misspelt one gets click's message
                self._import_all()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._import_all()
        return super().list_commands(ctx)

    def _import_all(self) -> None:
        for module in sorted(set(self.command_modules.values())):
            import_module(module)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AnetError as exc:
            click.echo(render_text(exc.diagnostics, exc.source), err=True)
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except UserError as exc:
            raise CommandFailed(str(exc)) from None
        except OSError as exc:
            raise CommandFailed(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from None
        except Exception as exc:
            if os.environ.get("ANET_DEBUG"):
                raise
            click.echo(
                f"anet: internal error: {type(exc).__name__}: {exc}\n"
                "      this is a bug in anet; rerun with ANET_DEBUG=1 for the traceback and report it",
                err=True,
            )
            sys.exit(3)


class _WarningEcho(logging.Handler):
    """Prints through click, to whatever stderr is current (a progress bar's, a test runner's)."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"anet: warning: {record.getMessage()}", err=True)


def show_warnings() -> None:
    """Route the `anet.*` loggers' warnings to stderr, once per process."""
    logger = logging.getLogger("anet")
    if not any(isinstance(h, _WarningEcho) for h in logger.handlers):
        handler = _WarningEcho(logging.WARNING)
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)


@click.group(cls=AnetGroup, command_modules=COMMAND_MODULES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="anet")
def anet() -> None:
    """anet: the AssembleNet language, compiler and architecture search."""
    show_warnings()
