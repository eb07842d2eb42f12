"""pytest plugin (entry point ``acdsim``): scenario files with ``[targets]`` become test items.

``pytest scenarios/`` runs each scenario file once (its own seed and replications) and makes one test item per
target; an item fails when the whole 95 % CI misses the target, and is skipped-as-inconclusive (or fails with
``--acdsim-strict``) when the CI straddles it. The failure message shows metric, mean, CI and target.
"""
from __future__ import annotations

import tomllib

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("acdsim")
    group.addoption("--acdsim-strict", action="store_true", default=False,
                    help="treat targets whose confidence interval straddles the bound as failures")


def pytest_collect_file(parent, file_path):
    if file_path.suffix != ".toml":
        return None
    try:
        data = tomllib.loads(file_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if isinstance(data.get("targets"), dict) and data["targets"] and "arrivals" in data and "agents" in data:
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    """A scenario file; simulated once, lazily, when its first target item runs."""

    _results = None

    def collect(self):
        data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        for metric in data["targets"]:
            yield TargetItem.from_parent(self, name=metric, metric=metric)

    def results(self):
        if self._results is None:
            import sim

            self._results = sim.run(sim.load_scenario(self.path))
        return self._results


class TargetFailed(Exception):
    pass


class TargetItem(pytest.Item):
    def __init__(self, *, metric: str, **kwargs):
        super().__init__(**kwargs)
        self.metric = metric

    def runtest(self):
        row = self.parent.results().check_targets().set_index("metric").loc[self.metric]
        text = (f"{self.metric}: mean {row['mean']:.4g}, 95 % CI [{row['ci_low']:.4g}, {row['ci_high']:.4g}], "
                f"target {_bounds(row)}")
        if row["status"] == "fail":
            raise TargetFailed(text)
        if row["status"] == "inconclusive":
            if self.config.getoption("--acdsim-strict"):
                raise TargetFailed("inconclusive (CI straddles the target): " + text)
            pytest.skip("inconclusive (CI straddles the target): " + text)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, TargetFailed):
            return f"{self.path.name}: target missed — {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}::{self.metric}"


def _bounds(row) -> str:
    parts = []
    if row["min"] is not None and row["min"] == row["min"]:
        parts.append(f">= {row['min']:g}")
    if row["max"] is not None and row["max"] == row["max"]:
        parts.append(f"<= {row['max']:g}")
    return " and ".join(parts)
