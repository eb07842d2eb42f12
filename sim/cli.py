"""The ``acdsim`` command line (typer). Each sub-command lives with its concept; this module wires them."""
from __future__ import annotations

import typer

from sim.cli_errors import PlainErrorGroup

app = typer.Typer(
    name="acdsim",
    cls=PlainErrorGroup,
    help="ACD call-centre simulator, staffing planner and front-desk workflow.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """ACD call-centre simulator, staffing planner and front-desk workflow."""


def _register_commands() -> None:
    from sim import cli_calibrate, cli_compare, cli_run, cli_sweep
    from sim.desk import cli as desk_cli
    from sim.history import cli as history_cli
    from staffing import cli as staffing_cli
    from staffing import cli_forecast, cli_schedule

    cli_run.register(app)
    cli_calibrate.register(app)
    cli_sweep.register(app)
    cli_compare.register(app)
    desk_cli.register(app)
    history_cli.register(app)
    staffing_cli.register(app)
    cli_schedule.register(app)
    cli_forecast.register(app)
    __import__("staffing.cli_skills").cli_skills.register(app)   # acdsim skills-staff (issue 16)


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    app()
