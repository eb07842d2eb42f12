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

__all__ = ["COUNTS", "METRICS", "Distribution", "Results", "Scenario", "ScenarioError", "load_scenario", "run",
           "validate_scenario"]
