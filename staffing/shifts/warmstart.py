"""LP-rounding warm start for the shift model (Aykin break options): a feasible roster handed to HiGHS.

Solve the LP relaxation, then round *break options* up: b = ceil(b_lp) and x_i = the largest break count over
the column's breaks (the other breaks of the column are padded where the LP put most of them). Every extra
person then stands on the phones everywhere except at one break slot, and at any slot the extra breaks of a
column never exceed its extra people, so every coverage, duty and 24-h row (all of the form
on-site minus on-break >= minimum) stays satisfied. Limits that rounding up can break (per-day maxima,
headcounts, days-off patterns) are checked on the rounded point: if any row is violated, no warm start.

:class:`WarmHighs` is the pyomo HiGHS interface that passes the point to HiGHS (``setSolution``) before
``run``. Values are head counts.
"""
from __future__ import annotations

import numpy as np
import pyomo.environ as pe
from pyomo.common.collections import ComponentMap
from pyomo.contrib.solver.solvers.highs import Highs

from staffing.shifts.model import BuiltModel


class WarmHighs(Highs):
    """HiGHS with an optional starting point ``warm`` (ComponentMap pyomo var -> value)."""

    warm: ComponentMap | None = None

    def _solve(self):
        if self.warm:
            index = self._pyomo_var_to_solver_var_map
            pairs = [(index[id(v)], val) for v, val in self.warm.items() if id(v) in index]
            cols = np.array([c for c, _ in pairs], dtype=np.int32)
            vals = np.array([val for _, val in pairs], dtype=np.float64)
            self._solver_model.setSolution(len(cols), cols, vals)
        return super()._solve()


def _lp_values(bm: BuiltModel, time_limit_s: float, threads: int | None) -> tuple[np.ndarray, np.ndarray] | None:
    """x and b of the LP relaxation (integer domains relaxed for the solve, restored after)."""
    m = bm.model
    ints = [v for v in m.component_data_objects(pe.Var) if v.is_integer()]
    for v in ints:
        v.domain = pe.NonNegativeReals
    try:
        opts = {"threads": int(threads)} if threads else {}   # HiGHS keeps one thread scheduler per process
        res = Highs().solve(m, time_limit=time_limit_s, raise_exception_on_nonoptimal_result=False,
                            load_solutions=False, **opts)
    finally:
        for v in ints:
            v.domain = pe.NonNegativeIntegers
    if res.incumbent_objective is None:
        return None
    res.solution_loader.load_vars()
    x = np.array([m.x[i].value or 0.0 for i in m.x], float)
    b = np.array([m.b[k].value or 0.0 for k in m.b], float)
    return x, b


def lp_rounding_start(bm: BuiltModel, time_limit_s: float = 10.0,
                      threads: int | None = None) -> ComponentMap | None:
    """A feasible integer point from the rounded LP relaxation, or None (bj breaks, days-off model, or a
    violated limit)."""
    m, ts = bm.model, bm.ts
    if bm.bj is not None or len(m.w):
        return None
    got = _lp_values(bm, time_limit_s, threads)
    if got is None:
        return None
    x_lp, b_lp = got
    b = np.ceil(b_lp - 1e-6).clip(min=0)
    x = np.ceil(x_lp - 1e-6).clip(min=0)
    g = ts.break_groups()
    if len(g):
        per_group = np.bincount(g, weights=b)
        col_of_group = np.zeros(len(per_group), np.int64)
        col_of_group[g] = ts.brk_col
        need = np.zeros(ts.n_cols)
        np.maximum.at(need, col_of_group, per_group)
        x = np.maximum(x, need)
        short = x[col_of_group] - per_group               # pad each break to the column's people
        for grp in np.flatnonzero(short > 0):
            ks = np.flatnonzero(g == grp)
            b[ks[np.argmax(b_lp[ks])]] += short[grp]
    values = ComponentMap([(m.x[i], float(x[i])) for i in m.x] + [(m.b[k], float(b[k])) for k in m.b])
    for v, val in values.items():
        v.set_value(val, skip_validation=True)
    _fill_soft(bm, values)
    for con in m.component_data_objects(pe.Constraint, active=True):
        body = pe.value(con.body, exception=False)
        if body is None:
            return None
        if (con.lower is not None and body < pe.value(con.lower) - 1e-6) or \
                (con.upper is not None and body > pe.value(con.upper) + 1e-6):
            return None
    return values


def _fill_soft(bm: BuiltModel, values: ComponentMap) -> None:
    """Soft rows: shortfall u = max(0, rhs - on_phone), over-cover o = max(0, on_phone - rhs)."""
    m = bm.model
    for r in m.u:
        m.u[r].set_value(0.0, skip_validation=True)
    for r, (_key, _s, rhs) in enumerate(bm.row_info):
        if r not in m.u and r not in m.o:
            continue
        on_phone = pe.value(m.cover[r + 1].body)          # u is 0 at this point
        if r in m.u:
            values[m.u[r]] = max(0.0, rhs - on_phone)
            m.u[r].set_value(values[m.u[r]], skip_validation=True)
        if r in m.o:
            values[m.o[r]] = max(0.0, on_phone - rhs)
            m.o[r].set_value(values[m.o[r]], skip_validation=True)
