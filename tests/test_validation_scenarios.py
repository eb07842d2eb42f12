"""The shipped validation scenarios meet their own targets (bands around the exact Erlang values).

Each band is at least two CI half-widths wide around the exact value, so a pass is expected; a 'fail' (the whole
95 % CI outside the band) would mean the model drifted from queueing theory.
"""
from pathlib import Path

import pytest

import sim

FILES = sorted((Path(__file__).resolve().parents[1] / "scenarios" / "validation").glob("*.toml"))


def test_validation_scenarios_are_found():
    assert len(FILES) >= 3, f"scenarios/validation moved or emptied? found {FILES}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_validation_scenario_meets_its_targets(path):
    sc = sim.load_scenario(path)
    assert sc.targets, f"{path.name} should state its expected values as targets"
    checks = sim.run(sc).check_targets()  # the file's own seed and replications
    assert (checks["status"] == "pass").all(), checks.to_string()
