"""LP-rounding warm start for the shift model (Aykin break options): a feasible roster handed to HiGHS.

Solve the LP relaxation, round x (down, or up from a few fraction thresholds) and place each column's breaks on floor(b_lp) plus the largest fractions,
then repair: while a coverage, duty or 24-h row is short, add one person on the column that can be on the
phones in the first short slot and serves the most short slots per unit cost (breaks placed away from it);
then prune: remove people, dearest columns first, while every row still holds; keep the cheapest rounding. Limits that adding people can break
(per-day maxima, headcounts, days-off patterns) are checked on the final point: if any row of the model is
violated, there is no warm start.

:class:`WarmHighs` is the pyomo HiGHS interface that passes the point to HiGHS (``setSolution``) before
``run``. Values are head counts.
"""
from __future__ import annotations

import numpy as np
import pyomo.environ as pe
from pyomo.common.collections import ComponentMap
from pyomo.contrib.solver.solvers.highs import Highs

from staffing.shifts.model import BuiltModel


THRESHOLDS = (1.0, 0.7, 0.5, 0.4, 0.3)
"""Fractions from which a column's LP value is rounded up (1.0: always down); each rounding is repaired."""


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
    best = None
    for theta in THRESHOLDS:                          # several roundings, keep the cheapest repaired one
        x_t, b_t = _round(ts, x_lp, b_lp, theta)
        _repair(bm, x_t, b_t, b_lp)
        _prune(bm, x_t, b_t)
        if best is None or ts.cost @ x_t < ts.cost @ best[0]:
            best = (x_t, b_t)
    x, b = best
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


def _round(ts, x_lp: np.ndarray, b_lp: np.ndarray, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """x rounded up where its fraction is >= theta, else down; each break gets floor(b_lp) per option plus the
    remainder on the largest fractions."""
    x = np.floor(x_lp + 1.0 - theta + 1e-9).clip(min=0)
    b = np.floor(b_lp + 1e-6).clip(min=0)
    g = ts.break_groups()
    if not len(g):
        return x, b
    col_of_group = np.zeros(int(g.max()) + 1, np.int64)
    col_of_group[g] = ts.brk_col
    left = x[col_of_group] - np.bincount(g, weights=b, minlength=len(col_of_group))
    frac = b_lp - b
    order = np.lexsort((-frac, g))                    # per group, largest fraction first
    rank = np.empty(len(g), np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(g[order])) + 1]
    sizes = np.diff(np.r_[starts, len(g)])
    rank[order] = np.arange(len(g)) - np.repeat(starts, sizes)
    b += (rank < left[g]).astype(float)               # at most one extra per option (left < #options)
    short = x[col_of_group] - np.bincount(g, weights=b, minlength=len(col_of_group))
    for grp in np.flatnonzero(short > 0):             # more people than options: pile on the best one
        ks = np.flatnonzero(g == grp)
        b[ks[np.argmax(b_lp[ks])]] += short[grp]
    return x, b


def _repair(bm: BuiltModel, x: np.ndarray, b: np.ndarray, b_lp: np.ndarray, max_steps: int = 5000) -> None:
    """Add people until every hard coverage/duty row holds: the cheapest column that can be on the phones in
    the first short slot, its breaks placed where they do not cover that slot (in place)."""
    from staffing.shifts.model import on_phone_by_slot
    ts, m = bm.ts, bm.model
    soft_rows = set(m.u)
    rows = [(k, s, rhs) for r, (k, s, rhs) in enumerate(bm.row_info) if r not in soft_rows]
    if not rows:
        return
    keys = sorted({k for k, _, _ in rows})
    need = {k: np.zeros(ts.n_slots) for k in keys}
    for k, s, rhs in rows:
        need[k][s] = max(need[k][s], rhs)
    P = ts.phone_possible().tocsr()
    PT = P.T.tocsr().astype(float)
    masks = {k: _key_mask(ts, k) for k in keys}
    B = ts.break_matrix().tocsc()
    grp = ts.break_groups()
    for _ in range(max_steps):
        worst = None
        for k in keys:
            gap = need[k] - on_phone_by_slot(ts, x, b, k)
            s = int(np.argmax(gap > 1e-9))
            if gap[s] > 1e-9:
                worst = (k, s, (gap > 1e-9).astype(float))
                break
        if worst is None:
            return
        k, s, short = worst
        cand = P[s].indices[masks[k][P[s].indices]]
        if not len(cand):
            return
        gain = PT[cand] @ short                        # short slots the column can serve, per unit cost
        i = int(cand[np.argmax(gain / ts.cost[cand])])
        x[i] += 1
        for gid in np.unique(grp[ts.brk_col == i]):
            ks = np.flatnonzero(grp == gid)
            free = [kk for kk in ks if not B[s, kk]]
            b[max(free, key=lambda kk: b_lp[kk])] += 1


def _prune(bm: BuiltModel, x: np.ndarray, b: np.ndarray, time_budget_s: float = 5.0) -> None:
    """Remove people, dearest columns first, while every hard row still holds (in place; single-break types
    only: the person's break is taken from whichever option keeps the rows satisfied)."""
    import time

    from staffing.shifts.model import on_phone_by_slot
    ts, m = bm.ts, bm.model
    rows = [(k, s, rhs) for r, (k, s, rhs) in enumerate(bm.row_info) if r not in set(m.u)]
    keys = sorted({k for k, _, _ in rows})
    need = {k: np.zeros(ts.n_slots) for k in keys}
    for k, s, rhs in rows:
        need[k][s] = max(need[k][s], rhs)
    A = ts.shift_matrix().tocsc()
    B = ts.break_matrix().tocsc()
    masks = {k: _key_mask(ts, k) for k in keys}
    slack = {k: on_phone_by_slot(ts, x, b, k) - need[k] for k in keys}
    grp = ts.break_groups()
    t0 = time.perf_counter()
    for i in np.argsort(-ts.cost, kind="stable"):
        if time.perf_counter() - t0 > time_budget_s:
            return
        groups = np.unique(grp[ts.brk_col == i])
        if len(groups) > 1:
            continue
        opts = np.flatnonzero(grp == groups[0]) if len(groups) else [None]
        while x[i] > 0:
            on = A[:, i].toarray().ravel()
            done = False
            for kk in opts:
                if kk is not None and b[kk] < 1:
                    continue
                delta = -on + (B[:, kk].toarray().ravel() if kk is not None else 0.0)
                if all((slack[k] + (delta if masks[k][i] else 0.0)).min() >= -1e-9 for k in keys):
                    x[i] -= 1
                    if kk is not None:
                        b[kk] -= 1
                    for k in keys:
                        if masks[k][i]:
                            slack[k] = slack[k] + delta
                    done = True
                    break
            if not done:
                break


def _key_mask(ts, key: str) -> np.ndarray:
    from staffing.shifts.model import _masks
    return _masks(ts)[key][0]


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
