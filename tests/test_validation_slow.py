"""Slow (``pytest -m slow``): the model against Erlang A over a grid of sizes, loads and patiences, with tight
intervals. References come from ``test_validation_queueing`` (computed there independently of ``staffing``).

Tolerance: 8 grid points x 2 metrics = 16 checks at the Bonferroni level 1 - 0.05 / 16 each (family-wise error
5 %); each replication is long enough that the interval half-width is below 2.5 percentage points, so a bias of
that size would be seen (the default-suite check uses 8 short replications)."""
from __future__ import annotations

import pytest
from scipy import stats

import sim
from test_validation_queueing import erlang_a, scenario, within_ci

pytestmark = pytest.mark.slow
GRID = [(agents, rho, patience) for agents in (2, 20) for rho in (0.9, 1.2) for patience in (60.0, 300.0)]
LEVEL = 1 - 0.05 / (2 * len(GRID))


@pytest.mark.parametrize("agents,rho,patience", GRID)
def test_erlang_a_grid_tight(agents, rho, patience):
    talk = 180.0
    lam = agents * rho / talk
    days = max(2, round(16000 / (lam * 86400)))                # >= ~16 000 calls per replication
    res = sim.run(scenario(agents, lam * 3600, days, talk, patience), replications=12, seed=21)
    p_ab, p_sl = erlang_a(lam, 1 / talk, 1 / patience, agents, 20.0)
    for name, exact in (("abandon_rate", p_ab), ("service_level", p_sl)):
        x = res.per_replication[name]
        ok, msg = within_ci(x, exact, LEVEL)
        assert ok, f"{name}: {msg}"
        half = stats.t.ppf(0.5 + LEVEL / 2, len(x) - 1) * x.std(ddof=1) / len(x) ** 0.5
        assert half < 0.025, f"{name}: interval not tight: {msg}"
