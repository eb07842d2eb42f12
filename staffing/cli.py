"""``acdsim staff``/``acdsim schedule`` commands (filled in by the staffing work)."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the staffing commands to the CLI."""
