"""Break integrality relaxed in the search, restored afterwards: the shift counts x are integer, the break
variables b continuous while HiGHS searches; then x is fixed and b solved as integers.

Why it is sound: breaks cost nothing, so the relaxed model's bound is a valid bound for the full model, and a
relaxed optimum whose breaks can be made integral at the same x is an optimum of the full model (same cost).
For fixed integer x the break rows are interval-like (each break variable covers consecutive slots of one
class), and on every instance measured the integer breaks existed; when they do not, :func:`integer_breaks`
says so and the caller solves the full integer model instead.

Why it helps: on the synthetic week (13 440 integer variables of which 11 424 break options) HiGHS branches
and runs its sub-MIP heuristics on 2 016 integer shift columns only; its incumbents improve much faster
(67 854 = 0.29 % above the LP bound after ~615 s wall on the loaded machine, vs 68 084 after 400 s with
integer breaks).
"""
from __future__ import annotations

import numpy as np
import pyomo.environ as pe
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from staffing.shifts.model import BuiltModel


def relax_breaks(bm: BuiltModel) -> None:
    """Make the break variables continuous (in place)."""
    for v in bm.model.b.values():
        v.domain = pe.NonNegativeReals


def integer_breaks(bm: BuiltModel, x: np.ndarray, time_limit_s: float, threads: int | None) -> bool:
    """Fix x, make the break variables integer again and solve; True when integer breaks were found (the
    model's variables then hold them), False otherwise. x is unfixed afterwards."""
    m = bm.model
    for v in m.b.values():
        v.domain = pe.NonNegativeIntegers
    for i in m.x:
        m.x[i].fix(float(x[i]))
    try:
        opts = {"threads": int(threads)} if threads else {}
        res = Highs().solve(m, time_limit=max(1.0, float(time_limit_s)), rel_gap=0.0,
                            raise_exception_on_nonoptimal_result=False, load_solutions=False, **opts)
        ok = res.incumbent_objective is not None and \
            res.termination_condition != TerminationCondition.provenInfeasible
        if ok:
            res.solution_loader.load_vars()
        return ok
    finally:
        for i in m.x:
            m.x[i].unfix()
