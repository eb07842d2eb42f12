"""Every command that writes uses the output-folder rules (sim.outdir): a --out that is a file is refused with
one clear error, and a folder another acdsim command holds is refused at once, naming the holder."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.outdir import prepare_out_dir

ROOT = Path(__file__).resolve().parents[1]
QLOG = str(ROOT / "examples" / "history" / "queue_log.gz")
runner = CliRunner()


def _volumes(tmp_path) -> str:
    rows = ["interval_start,calls"] + [f"2026-01-{5 + d:02d} {h:02d}:00,{10 + h}" for d in range(21) for h in range(8, 18)]
    path = tmp_path / "vol.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


COMMANDS = {
    "import": lambda tmp, out: ["import", QLOG, "--out", out],
    "calibrate": lambda tmp, out: ["calibrate", QLOG, "--out", out],
    "forecast": lambda tmp, out: ["forecast", _volumes(tmp), "--horizon", "2d", "--country", "none",
                                  "--backtest-weeks", "0", "--out", out],
    "compare": lambda tmp, out: ["compare", str(ROOT / "scenarios" / "validation" / "mmc_erlang_c.toml"),
                                 "--set", "agents=13", "-r", "2", "--out", out],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_out_that_is_a_file_is_refused(command, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("keep me")
    result = runner.invoke(app, COMMANDS[command](tmp_path, str(blocker)), env={"COLUMNS": "60"})
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and "a_file" in result.output and "Traceback" not in result.output
    assert blocker.read_text() == "keep me"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_folder_held_by_another_command_is_refused(command, tmp_path):
    out = tmp_path / "out"
    with prepare_out_dir(out, "acdsim run"):
        result = runner.invoke(app, COMMANDS[command](tmp_path, str(out)), env={"COLUMNS": "60"})
    assert result.exit_code == 2, result.output
    assert "acdsim run" in result.output and "Traceback" not in result.output
