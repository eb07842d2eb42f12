"""The pyomo shift-scheduling model (integer programme) built from a :class:`TemplateSet`.

Variables (all counts of people):
  x[i]    >= 0 integer   people working shift column i (type, break-length variant, start, day)
  b[k]    >= 0 integer   people of column brk_col[k] taking break brk_j[k] at option k
  w[t,p]  >= 0 integer   people of shift type t on days-off pattern p (weekly model only)
  u[s]    >= 0           soft coverage only: missing agents in slot s (penalised)

Constraints:
  break link     sum_{k in (i, j)} b[k] = x[i]                       every column i, break j
  coverage       on_phone(s) + u[s] >= requirement(s)                every slot with a requirement
                 on_phone(s) = sum_i A[s,i] x[i] - sum_k B[s,k] b[k] (on site minus on break; the hand-over is
                 before the start, so it is never counted)
  duty / 24 h    on_phone_role(s) >= min                             duty windows, min_on_duty in every slot
  per day        min_per_day <= sum_{i of type t, day d} x[i] <= max_per_day; sum agents <= max_agents_per_day
  days off       sum_{i of type t, day d} x[i] = nd[t,d] = sum_p pattern[p][d] w[t,p]  (everyone works one
                 shift on each working day of their pattern); heads[t] = sum_p w[t,p] <= max_headcount.
                 nd and heads are integer aggregates: branching on them closes the gap much faster.
  weekly         min_per_week <= shifts of type t in week w <= max_per_week; for days-off types with weekly_hours:
                 (H - tol) heads[t] <= paid hours of type t in week w <= (H + tol) heads[t]
  over-cover     soft mode with overstaffing_penalty: o[s] >= on_phone(s) - u[s] - requirement(s)
Objective: paid cost (shift length + hand-over, times the hourly rate; for days-off types charged per person
and pattern, which equals the per-shift cost, except for length ranges: per shift) + penalty * sum u
+ over-cover penalty * sum o.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pe
import scipy.sparse as sp

from staffing.shifts.breaks_bj import BreakClasses, add_break_constraints, assign_breaks, break_classes
from staffing.shifts.rules import clock_minutes
from staffing.shifts.templates import TemplateSet


@dataclass
class BuiltModel:
    """A pyomo model plus what is needed to read its solution back."""

    model: pe.ConcreteModel
    ts: TemplateSet
    req_slot: np.ndarray
    row_info: list[tuple[str, int, float]]     # (row kind, slot, rhs) per coverage/duty row, in model order
    soft: bool
    size: dict
    build_time_s: float
    bj: BreakClasses | None = None     # Bechtold-Jacobs break classes (None: Aykin break options)

    def break_options(self, x: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Counts per break option of the TemplateSet (matches bj break starts to shifts when needed)."""
        return b if self.bj is None else assign_breaks(self.ts, self.bj, x, b)


def duty_rows(ts: TemplateSet) -> dict[tuple[str, int], float]:
    """{(role key, slot): minimum on the phones} from duty windows and min_on_duty ('any' = all roles)."""
    rules = ts.rules
    spd, n = ts.slots_per_day, ts.n_slots
    clock = (np.arange(n) % spd) * ts.slot_s / 60.0
    rows: dict[tuple[str, int], float] = {}
    if rules.min_on_duty > 0:
        for s in range(n):
            rows[("any", s)] = float(rules.min_on_duty)
    for w in rules.duty_windows:
        a, e = clock_minutes(w.start), clock_minutes(w.end)
        inside = (clock >= a) & (clock < e) if e > a else (clock >= a) | (clock < e)
        for s in np.flatnonzero(inside):
            key = (w.role, int(s))
            rows[key] = max(rows.get(key, 0.0), float(w.min_on_phone))
    return rows


def _masks(ts: TemplateSet, bj=None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Role key -> (column mask, break-variable mask: per break option, or per break-start variable with bj)."""
    col = {"any": np.ones(ts.n_cols, bool), "answers": ts.answers.copy(),
           "agent": ts.role == "agent", "night_duty": ts.role == "night_duty"}
    if bj is not None:
        n_t = len(ts.types)
        out = {}
        for k, v in col.items():
            by_type = np.zeros(n_t, bool)
            by_type[ts.type_idx[v]] = True
            out[k] = (v, by_type[bj.var_type])
        return out
    return {k: (v, v[ts.brk_col] if len(ts.brk_col) else np.zeros(0, bool)) for k, v in col.items()}


def build_model(ts: TemplateSet, req_slot: np.ndarray, *, soft: bool = False,
                penalty_per_slot: float = 0.0, soft_duties: bool = False,
                over_penalty_per_slot: float = 0.0, breaks: str = "aykin") -> BuiltModel:
    """Build the pyomo model. ``req_slot``: integer agents required on the phones per slot (len n_slots).

    ``soft``: coverage rows get a penalised shortfall variable. ``soft_duties`` (diagnosis only): the duty and
    24-h rows get one too, so that an over-constrained instance still solves and shows where it breaks.
    ``breaks``: "aykin" (a variable per shift column and break option, the default) or "bj" (Bechtold-Jacobs
    break-start variables per break class, :mod:`staffing.shifts.breaks_bj`).
    """
    if breaks not in ("aykin", "bj"):
        raise ValueError(f"breaks must be 'aykin' or 'bj', got {breaks!r}")
    t0 = time.perf_counter()
    rules = ts.rules
    m = pe.ConcreteModel(name="shift_schedule")
    n_cols = ts.n_cols
    bj = break_classes(ts) if breaks == "bj" and len(ts.brk_col) else None
    n_b = len(ts.brk_col) if bj is None else bj.n_vars
    caps = [t.max_per_day for t in rules.shift_types]
    m.x = pe.Var(range(n_cols), domain=pe.NonNegativeIntegers)
    m.b = pe.Var(range(n_b), domain=pe.NonNegativeIntegers)
    xs = [m.x[i] for i in range(n_cols)]
    bs = [m.b[k] for k in range(n_b)]
    nnz = 0

    # break link
    m.link = pe.ConstraintList()
    g = ts.break_groups()
    if bj is not None:
        nnz += add_break_constraints(m, bj, xs, bs)
    elif n_b:
        order = np.argsort(g, kind="stable")
        bounds = np.flatnonzero(np.diff(np.r_[-1, g[order], -2]))
        for a, e in zip(bounds[:-1], bounds[1:]):
            ks = order[a:e]
            m.link.add(pe.quicksum(bs[k] for k in ks) - xs[int(ts.brk_col[ks[0]])] == 0)
            nnz += len(ks) + 1

    # coverage and duty rows: merge requirement rows into 'any' rows when every type answers calls
    rows: dict[tuple[str, int], float] = {}
    req_key = "any" if bool(ts.answers.all()) and not soft else "answers"
    over_all = soft and over_penalty_per_slot > 0     # over-cover counts in slots without a requirement too
    for s in np.flatnonzero((req_slot > 0) | over_all):
        rows[(req_key, int(s))] = float(req_slot[s])
    for key, v in duty_rows(ts).items():
        rows[key] = max(rows.get(key, 0.0), v)
    A = ts.shift_matrix().tocsc()
    B = (ts.break_matrix() if bj is None else bj.coverage_matrix(ts)).tocsc()
    masks = _masks(ts, bj)
    M = {k: sp.hstack([A[:, cm], -B[:, bm]]).tocsr() for k, (cm, bm) in masks.items()}
    var_of = {k: [xs[i] for i in np.flatnonzero(cm)] + [bs[j] for j in np.flatnonzero(bm)]
              for k, (cm, bm) in masks.items()}
    row_info = []
    soft_rows = [i for i, (key, s) in enumerate(rows) if (soft and key == "answers")
                 or (soft_duties and key != "answers")]
    m.u = pe.Var(soft_rows, domain=pe.NonNegativeReals)
    soft_set = set(soft_rows)
    m.cover = pe.ConstraintList()
    m.over = pe.ConstraintList()           # soft mode with an over-cover penalty: o[r] >= on_phone - required
    over_cand = [r for r, (key, s) in enumerate(rows) if soft and over_penalty_per_slot > 0 and key == "answers"]
    m.o = pe.Var(over_cand, domain=pe.NonNegativeReals)
    over_v = {r: m.o[r] for r in over_cand}
    over_rows: list[int] = []
    for r, ((key, s), rhs) in enumerate(rows.items()):
        mat, vs = M[key], var_of[key]
        lo, hi = mat.indptr[s], mat.indptr[s + 1]
        expr = pe.quicksum(float(c) * vs[j] for j, c in zip(mat.indices[lo:hi], mat.data[lo:hi]))
        if r in soft_set:
            expr = expr + m.u[r]
        if hi == lo and r not in soft_set:
            raise ValueError(f"internal: row {key} slot {s} has no covering template")  # pre-check catches this
        m.cover.add(expr >= rhs)
        if over_penalty_per_slot > 0 and soft and key == "answers":
            over_rows.append(r)
            m.over.add(expr - m.u[r] - over_v[r] <= rhs)
            nnz += hi - lo + 1             # expr already holds +u[r]: u cancels, o enters
        row_info.append((key, s, rhs))
        nnz += hi - lo + (r in soft_set)

    # per-day limits
    m.daily = pe.ConstraintList()
    for ti, t in enumerate(rules.shift_types):
        cap = caps[ti]
        if t.max_headcount is not None and not (ts.use_days_off and t.in_days_off_model):
            cap = t.max_headcount if cap is None else min(cap, t.max_headcount)
        if t.min_per_day == 0 and cap is None:
            continue
        for d in range(ts.n_days):
            cols = np.flatnonzero((ts.type_idx == ti) & (ts.day == d))
            if not len(cols):          # a weekday-limited type has no shifts that day
                continue
            e = pe.quicksum(xs[i] for i in cols)
            if t.min_per_day:
                m.daily.add(e >= t.min_per_day)
                nnz += len(cols)
            if cap is not None:
                m.daily.add(e <= cap)
                nnz += len(cols)
    if rules.max_agents_per_day is not None:
        for d in range(ts.n_days):
            cols = np.flatnonzero((ts.role == "agent") & (ts.day == d))
            m.daily.add(pe.quicksum(xs[i] for i in cols) <= rules.max_agents_per_day)
            nnz += len(cols)

    # weekly days off
    wkeys = []
    if ts.use_days_off:
        pats = rules.days_off.patterns()
        wkeys = [(ti, p) for ti, t in enumerate(rules.shift_types) if t.in_days_off_model
                 for p in range(len(pats))]
    m.w = pe.Var(wkeys, domain=pe.NonNegativeIntegers)
    m.daysoff = pe.ConstraintList()
    dkeys = [(ti, d) for ti in sorted({k[0] for k in wkeys}) for d in range(ts.n_days)]
    m.nd = pe.Var(dkeys, domain=pe.NonNegativeIntegers)          # shifts of type t on day d (aggregate)
    m.heads = pe.Var(sorted({k[0] for k in wkeys}), domain=pe.NonNegativeIntegers)  # people of type t
    if wkeys:
        cyc = rules.days_off.cycle_days
        for ti, t in enumerate(rules.shift_types):
            if not t.in_days_off_model:
                continue
            for d in range(ts.n_days):
                cols = np.flatnonzero((ts.type_idx == ti) & (ts.day == d))
                ws = [m.w[ti, p] for p in range(len(pats)) if pats[p][d % cyc]]
                m.daysoff.add(pe.quicksum(xs[i] for i in cols) - m.nd[ti, d] == 0)
                m.daysoff.add(m.nd[ti, d] - pe.quicksum(ws) == 0)
                nnz += len(cols) + len(ws) + 2
            m.daysoff.add(pe.quicksum(m.w[ti, p] for p in range(len(pats))) - m.heads[ti] == 0)
            nnz += len(pats) + 1
            if t.max_headcount is not None:
                m.daysoff.add(pe.quicksum(m.w[ti, p] for p in range(len(pats))) <= t.max_headcount)
                nnz += len(pats)

    # weekly limits: shifts per week, contract hours per person and week (days-off types: heads known)
    m.weekly = pe.ConstraintList()
    paid_h = ts.cost / np.array([rules.shift_types[ti].hourly_cost or 1.0 for ti in ts.type_idx]) \
        if n_cols else np.zeros(0)
    for ti, t in enumerate(rules.shift_types):
        for w in range(ts.n_days // 7):
            cols = np.flatnonzero((ts.type_idx == ti) & (ts.day // 7 == w))
            e = pe.quicksum(xs[i] for i in cols)
            if t.min_per_week:
                m.weekly.add(e >= t.min_per_week)
                nnz += len(cols)
            if t.max_per_week is not None:
                m.weekly.add(e <= t.max_per_week)
                nnz += len(cols)
            if t.weekly_hours is not None and ts.use_days_off and t.in_days_off_model:
                hours = pe.quicksum(float(paid_h[i]) * xs[i] for i in cols)
                m.weekly.add(hours >= (t.weekly_hours - t.weekly_hours_tolerance) * m.heads[ti])
                m.weekly.add(hours <= (t.weekly_hours + t.weekly_hours_tolerance) * m.heads[ti])
                nnz += 2 * (len(cols) + 1)

    # days-off types: cost per person on pattern p (working days x shift cost) = cost of their shifts; types
    # with a length range pay per shift (their shift cost varies)
    dcol = np.zeros(n_cols, bool)
    wcost = {}
    if wkeys:
        days_off_types = {ti for ti, _ in wkeys if len(rules.shift_types[ti].lengths()) == 1}
        dcol = np.isin(ts.type_idx, list(days_off_types))
        for ti, p in wkeys:
            per_shift = float(ts.cost[np.flatnonzero(ts.type_idx == ti)[0]]) if ti in days_off_types else 0.0
            wcost[(ti, p)] = per_shift * sum(pats[p][d % cyc] for d in range(ts.n_days))
    penalty = float(penalty_per_slot) if soft else 0.0
    diag_pen = 10.0 * (float(ts.cost.max()) if n_cols else 1.0) * max(1, ts.n_slots)
    m.obj = pe.Objective(
        expr=pe.quicksum(float(c) * xs[i] for i, c in enumerate(ts.cost) if not dcol[i])
        + pe.quicksum(float(wcost[k]) * m.w[k] for k in wkeys)
        + pe.quicksum((penalty if row_info[r][0] == "answers" and soft else diag_pen) * m.u[r]
                      for r in soft_rows)
        + pe.quicksum(float(over_penalty_per_slot) * m.o[r] for r in over_rows),
        sense=pe.minimize)
    n_int = n_cols + n_b + len(wkeys) + len(m.nd) + len(m.heads)
    size = {"variables": n_int + len(soft_rows) + len(over_rows) + len(getattr(m, "bj_run", ())), "integer_variables": n_int, "breaks": breaks,
            "constraints": len(m.link) + len(getattr(m, "bj", ())) + len(m.cover) + len(m.daily)
            + len(m.daysoff) + len(m.weekly) + len(m.over), "nonzeros": int(nnz),
            "shift_columns": n_cols, "break_options": n_b, "templates": ts.n_templates(),
            "slots": ts.n_slots, "slot_minutes": ts.slot_s / 60}
    return BuiltModel(model=m, ts=ts, req_slot=np.asarray(req_slot, float), row_info=row_info, soft=soft,
                      size=size, build_time_s=time.perf_counter() - t0, bj=bj)


def on_phone_by_slot(ts: TemplateSet, x: np.ndarray, b: np.ndarray, key: str = "answers") -> np.ndarray:
    """People on the phones per slot for a solution (x per column, b per break option), role key as in rows."""
    cm, bm = _masks(ts)[key]
    return ts.shift_matrix()[:, cm] @ x[cm] - ts.break_matrix()[:, bm] @ b[bm]


def on_site_by_slot(ts: TemplateSet, x: np.ndarray, key: str = "any") -> np.ndarray:
    """People on site (shift start..end, breaks included, hand-over excluded) per slot."""
    cm, _ = _masks(ts)[key]
    return ts.shift_matrix()[:, cm] @ x[cm]
