"""acdsim's call-centre simulator: scenario files → SimPy model → event log → the centre's 23 metrics.

>>> import sim
>>> sc = sim.Scenario.model_validate({
...     "arrivals": {"calls_per_hour": 60}, "agents": {"headcount": 3},
...     "call_types": {"inquiry": {"share": 1.0, "talk": {"family": "exponential", "mean": 120}}}})
>>> res = sim.run(sc, replications=2, seed=1)
>>> 0.0 <= res.metric("service_level") <= 1.0
True
"""
from sim.distributions import Distribution
from sim.metrics import COUNTS, METRICS
from sim.results import Results
from sim.runner import run
from sim.scenario import Scenario, ScenarioError, load_scenario, validate_scenario

_LAZY = {"DeskFactory": "sim.desk", "DeskRules": "sim.desk", "build_report": "sim.report", "run_sweep": "sim.sweep"}


def __getattr__(name: str):
    """Heavier parts (plots, sweeps, the desk) load on first use, keeping ``import sim`` and workers quick."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")

__all__ = ["COUNTS", "METRICS", "DeskFactory", "DeskRules", "Distribution", "Results", "Scenario", "ScenarioError",
           "build_report", "load_scenario", "run", "run_sweep", "validate_scenario"]
