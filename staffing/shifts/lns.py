"""A good first roster for large shift models: LP dive on the shift columns, then fix-and-optimise windows.

Why: on a week of 15-min slots (the synthetic benchmark, ~13 000 integer variables) HiGHS's dual bound is the
LP bound (its cuts move it by < 0.01 %), while its own heuristics need minutes to find a roster within 1 % of
it. The gap is the incumbent's, so this module builds one, in three steps, all on one HiGHS instance of the
model (hot-started dual simplex: each step costs milliseconds to a few seconds):

1. **LP relaxation** of the built model (integer domains relaxed).
2. **Round-up dive on the shift columns** x: repeatedly raise the lower bound of the few x with the largest
   fractional parts to their ceiling and re-solve the LP (covering rows stay feasible when people are added),
   until x is integral; then fix x and solve the remaining integer variables (break placement, days-off
   pattern counts, ...) as a MIP. Rounding only x (2 000 columns) instead of every break option is both
   cheaper and ~1 % of cost better than rounding everything.
   (``start="rf"`` instead: relax-and-fix, one window of shift starts integer at a time, later ones relaxed;
   measured worse at the same budget on the synthetic week: 68 612 vs 68 478 at ~20 CPU s.)
3. **Fix-and-optimise (large-neighbourhood search)**: free the shift columns whose start lies in a window of
   ``window_days`` (cyclically), keep every other column fixed at the incumbent, and solve that sub-MIP from
   the incumbent for a share of the budget; slide the window by ``step_days``; keep improvements; repeat
   passes while the budget lasts. Break variables of fixed columns stay fixed (Aykin); Bechtold-Jacobs break
   starts and all other variables stay free.

The result is a feasible point of the full model (every variable, as a ``ComponentMap``) handed to HiGHS as
its starting solution (:class:`staffing.shifts.warmstart.WarmHighs`); HiGHS then only has to close the gap
from above or prove it. Budgets are wall-clock seconds.
"""
from __future__ import annotations

import time

import highspy
import numpy as np
import pyomo.environ as pe
from pyomo.common.collections import ComponentMap
from pyomo.contrib.solver.solvers.highs import Highs

from staffing.shifts.model import BuiltModel

DIVE_SHARE = 0.02
"""Share of the still-fractional shift columns rounded up per dive step (at least one); past the deadline all
of them at once (a worse but immediate roster)."""


RF_SHARE = 0.6
"""Share of the budget for the relax-and-fix start (the rest: fix-and-optimise)."""


class _Lp:
    """The model's LP relaxation inside a highspy instance, with the column indices of x and of the other
    integer variables."""

    def __init__(self, bm: BuiltModel, threads: int | None, time_limit_s: float):
        m = bm.model
        ints = [v for v in m.component_data_objects(pe.Var, descend_into=True) if v.is_integer()]
        for v in ints:
            v.domain = pe.NonNegativeReals
        try:
            self.solver = Highs()
            opts = {"threads": int(threads)} if threads else {}
            res = self.solver.solve(m, time_limit=time_limit_s, raise_exception_on_nonoptimal_result=False,
                                    load_solutions=False, **opts)
        finally:
            for v in ints:
                v.domain = pe.NonNegativeIntegers
        self.ok = res.incumbent_objective is not None and \
            res.termination_condition.name == "convergenceCriteriaSatisfied"
        self.lp_bound = float(res.incumbent_objective) if self.ok else float("nan")
        self.h = self.solver._solver_model
        self.h.setOptionValue("output_flag", False)
        vmap = self.solver._pyomo_var_to_solver_var_map
        self.vars = [v for v in m.component_data_objects(pe.Var, descend_into=True) if id(v) in vmap]
        self.col = np.array([vmap[id(v)] for v in self.vars], np.int32)
        self.ix = np.array([vmap[id(m.x[i])] for i in m.x], np.int32)
        self.iw = np.array([vmap[id(m.w[k])] for k in m.w], np.int32)     # days-off pattern counts
        # Aykin break options (their column: ts.brk_col); None with Bechtold-Jacobs breaks or without breaks
        self.ib = np.array([vmap[id(m.b[k])] for k in m.b], np.int32) \
            if bm.bj is None and len(bm.ts.brk_col) else None
        x_ids = {id(m.x[i]) for i in m.x}
        self.other_int = np.array([vmap[id(v)] for v in ints if id(v) not in x_ids and id(v) in vmap], np.int32)
        self.n = self.h.getNumCol()
        lp = self.h.getLp()
        self.cost = np.array(lp.col_cost_)
        self.lo0, self.hi0 = np.array(lp.col_lower_), np.array(lp.col_upper_)

    def values(self) -> np.ndarray:
        return np.array(self.h.getSolution().col_value)

    def status_ok(self) -> bool:
        return self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal

    def has_point(self) -> bool:
        return self.h.getInfo().primal_solution_status == 2     # kSolutionStatusFeasible


def _dive(lp: _Lp, deadline: float) -> np.ndarray | None:
    """Round-up dive on x, then the other integer variables as a MIP with x fixed: a full column vector."""
    h, ix = lp.h, lp.ix
    for cols in (lp.iw, ix):          # days-off pattern counts first: then the shifts per day are integers
        while True:
            v = lp.values()[cols]
            fr = v - np.floor(v + 1e-6)
            frac = np.flatnonzero(fr > 1e-6)
            if not len(frac):
                break
            share = DIVE_SHARE if time.perf_counter() < deadline else 1.0    # late: round up all at once
            pick = frac[np.argsort(-fr[frac], kind="stable")[:max(1, int(len(frac) * share))]]
            h.changeColsBounds(len(pick), cols[pick], np.ceil(v[pick] - 1e-6), lp.hi0[cols[pick]])
            h.run()
            if not lp.status_ok():
                return None
    xv = np.rint(lp.values()[ix])
    h.changeColsBounds(len(ix), ix, xv, xv)
    if len(lp.other_int):
        h.changeColsIntegrality(len(lp.other_int), lp.other_int,
                                np.full(len(lp.other_int), highspy.HighsVarType.kInteger))
    h.setOptionValue("time_limit", max(1.0, deadline - time.perf_counter()))
    h.run()
    return lp.values() if lp.has_point() else None


def _relax_and_fix(bm: BuiltModel, lp: _Lp, deadline: float, window_days: float) -> np.ndarray | None:
    """Relax-and-fix over windows of shift starts: the window's columns integer, later ones LP-relaxed, earlier
    ones fixed; then the other integer variables as a MIP with x fixed. A full column vector, or None."""
    h, ts = lp.h, bm.ts
    starts = np.arange(0.0, max(ts.n_days, 1), window_days)
    for k, w0 in enumerate(starts):
        free = _window_free(bm, float(w0), window_days)
        cols = lp.ix[free]
        if lp.ib is not None:
            cols = np.r_[cols, lp.ib[free[ts.brk_col]]]
        h.changeColsIntegrality(len(cols), cols, np.full(len(cols), highspy.HighsVarType.kInteger))
        left = deadline - time.perf_counter()
        h.setOptionValue("time_limit", max(0.5, left / (len(starts) - k + 1)))
        h.run()
        if not lp.has_point():
            return None
        v = np.rint(lp.values()[cols])
        h.changeColsBounds(len(cols), cols, v, v)
    return _dive(lp, deadline)          # x is integral now: fixes it and solves the remaining integers


def _window_free(bm: BuiltModel, w0: float, window_days: float) -> np.ndarray:
    """Per shift column: does its start (in days) lie in [w0, w0 + window_days) cyclically."""
    ts = bm.ts
    start_d = ts.start_slot / ts.slots_per_day
    return (start_d - w0) % max(ts.n_days, 1) < window_days


def _improve(bm: BuiltModel, lp: _Lp, inc: np.ndarray, deadline: float, window_days: float,
             step_days: float, target: float) -> np.ndarray:
    """Fix-and-optimise passes over sliding windows of shift starts (incumbent kept) until the deadline, a whole
    pass of optimally solved windows without improvement, or a cost <= target."""
    h, ts = lp.h, bm.ts
    ints = np.r_[lp.ix, lp.other_int]
    h.changeColsIntegrality(len(ints), ints, np.full(len(ints), highspy.HighsVarType.kInteger))
    h.setOptionValue("mip_rel_gap", 0.0)
    starts = np.arange(0.0, max(ts.n_days, 1), step_days)
    n_win = len(starts)
    k = 0
    since_change = 0            # windows solved to optimality in a row without an improvement
    while True:
        left = deadline - time.perf_counter()
        if left < 0.5 or since_change >= n_win or inc @ lp.cost <= target + 1e-6:
            return inc
        free_x = _window_free(bm, float(starts[k % n_win]), window_days)
        lo, hi = lp.lo0.copy(), lp.hi0.copy()
        fix = lp.ix[~free_x]
        lo[fix] = hi[fix] = inc[fix]
        if lp.ib is not None:          # Aykin break options follow their column; every other variable stays free
            fb = lp.ib[~free_x[ts.brk_col]]
            lo[fb] = hi[fb] = inc[fb]
        h.changeColsBounds(lp.n, np.arange(lp.n, dtype=np.int32), lo, hi)
        sol = highspy.HighsSolution()
        sol.col_value = list(inc)
        h.setSolution(sol)
        h.setOptionValue("time_limit", max(0.5, min(left, left / max(1, n_win - k % n_win))))
        h.run()
        since_change = since_change + 1 if lp.status_ok() else 0
        if lp.has_point():
            new = lp.values()
            if new @ lp.cost < inc @ lp.cost - 1e-6:
                inc, since_change = new, 0
        k += 1


def lns_start(bm: BuiltModel, time_budget_s: float, threads: int | None = None, window_days: float = 1.0,
              step_days: float = 0.5, start: str = "dive", rel_gap: float = 0.0) -> tuple[ComponentMap | None, dict]:
    """A feasible point of the full model for HiGHS's start, and a log dict (lp_bound, dive and final cost,
    seconds spent). ``time_budget_s``: wall-clock seconds for all three steps together; ``start``: "dive" or
    "rf" (relax-and-fix) for step 2; step 3 stops early once the cost is within ``rel_gap`` of the LP bound."""
    if start not in ("dive", "rf"):
        raise ValueError(f"start must be 'dive' or 'rf', got {start!r}")
    t0 = time.perf_counter()
    deadline = t0 + time_budget_s
    info: dict = {"lp_bound": float("nan"), "dive": None, "lns": None}
    lp = _Lp(bm, threads, max(1.0, time_budget_s))
    info["lp_bound"] = lp.lp_bound
    if threads:
        lp.h.setOptionValue("threads", int(threads))
    if not lp.ok:
        return None, info
    if start == "dive":
        inc = _dive(lp, deadline)
    else:
        lp.h.setOptionValue("mip_rel_gap", 0.0)
        inc = _relax_and_fix(bm, lp, t0 + time_budget_s * RF_SHARE, window_days)
    if inc is None:
        return None, info
    info["dive"] = float(inc @ lp.cost)
    target = lp.lp_bound / (1.0 - rel_gap) if rel_gap < 1 else float("inf")
    inc = _improve(bm, lp, inc, deadline, window_days, step_days, target)
    info["lns"] = float(inc @ lp.cost)
    info["seconds"] = time.perf_counter() - t0
    ints = set(np.r_[lp.ix, lp.other_int].tolist())
    values = ComponentMap((v, float(np.rint(inc[c])) if c in ints else float(inc[c]))
                          for v, c in zip(lp.vars, lp.col))
    return values, info
