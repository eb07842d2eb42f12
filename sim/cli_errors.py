"""How every ``acdsim`` command reports bad input: plain ``error: ...`` lines on stderr and exit code 2.

Errors are never drawn in rich panels or wrapped to the terminal width, so a long path or a narrow terminal
cannot split a message (tests and scripts can match it). ``fail(message)`` ends a command; ``user_errors()``
turns the one user-facing error (``sim.errors.ScenarioError``: invalid scenario, unreadable input file,
unusable output folder) into ``fail``; ``PlainErrorGroup`` makes click's own usage errors (bad option value,
missing argument) print as plain text too, while ``--help`` keeps its rich layout.
"""
from __future__ import annotations

import contextlib
import sys

import click
import typer
from typer.core import TyperGroup

from sim.errors import ScenarioError

# typer may vendor its own copy of click: catch both copies' usage errors and aborts.
_CLICK_ERRORS = tuple({click.ClickException, *(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")})
_ABORTS = tuple({click.exceptions.Abort, typer.Abort})


def fail(message: str, code: int = 2) -> None:
    """Print one clear error (plain lines, stderr) and exit with ``code`` (2 = invalid input)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


@contextlib.contextmanager
def user_errors(hint: str = ""):
    """``with user_errors(): ...`` — a ScenarioError inside becomes ``fail(str(err) + hint)``."""
    try:
        yield
    except ScenarioError as err:
        fail(f"{err}{hint}")


class PlainErrorGroup(TyperGroup):
    """Typer group whose usage errors print as click's plain text (``Error: ...``), not as a rich panel."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except _CLICK_ERRORS as err:
            err.show()
            sys.exit(err.exit_code)
        except _ABORTS:
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)
