"""``acdsim run``: simulate a scenario file and report its metrics."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the simulation commands to the CLI."""
