"""The run summary's ``desk.*`` numbers, computed in plain Python from a store's rows (``StoreRows``: what
``TicketStore.rows()`` holds in memory or ``rows_of_conn`` reads from a file), without SQL or pandas.

Same definitions as ``sim.desk.metrics.ticket_metrics`` (the tables of the reports and of ``acdsim tickets``),
whose numbers they reproduce bit for bit (``tests/test_desk_numbers.py`` checks them against the tables): a
float sum or mean per group is added up as pandas' group-by does (``group_sums``), quantiles interpolate
linearly between order statistics, counts are exact. A replication's desk layer ends with this
(~10 ms for a week of the example instead of ~75 ms through pandas). Times in the rows are seconds; lateness
and agent time are reported in hours.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict

import numpy as np

from sim.desk.config import DeskRules
from sim.desk.store import StoreRows

DESK_PERFORMERS = ("assistant", "supervisor", "manager")   # roles of visits not made by phone agents
NAN = float("nan")
_OVERDUE = re.compile(r"^overdue:.*")
# column positions in the rows (the tables' column order, sim.desk.store.SCHEMA)
T_ID, T_TYPE, T_CREATED, T_CLASS, T_SEVERITY, T_STATE, T_CLOSED, T_OUTCOME, T_REOPENS = 0, 1, 3, 6, 7, 14, 15, 16, 17
O_KIND, O_DUE, O_TALK, O_FINISH, O_ROLE, O_OUTCOME = 2, 4, 5, 7, 8, 9


def kahan_sum(values) -> float:
    """Sum in the given order with Kahan compensation (pandas' group-by ``sum`` and ``mean``)."""
    total = comp = 0.0
    for v in values:
        y = v - comp
        t = total + y
        comp = (t - total) - y
        if comp != comp:      # an infinite value: no compensation
            comp = 0.0
        total = t
    return total


def group_sums(pairs: list[tuple]) -> dict:
    """(key, float) pairs in table-row order -> {key: sum} in key order, added as pandas' group-by ``sum`` and
    ``mean`` add (pandas 3): with the rows already sorted by key, numpy's ``add.reduceat`` over each key's run of
    rows; otherwise in row order with Kahan compensation."""
    keys = [k for k, _ in pairs]
    order = sorted(set(keys))
    if all(a <= b for a, b in zip(keys, keys[1:])) and not any(v != v for _, v in pairs):
        starts = [0] + [i for i in range(1, len(keys)) if keys[i] != keys[i - 1]]
        sums = np.add.reduceat(np.array([v for _, v in pairs], dtype=float), starts) if pairs else []
        return dict(zip(order, (float(x) for x in sums)))
    by_key: dict = defaultdict(list)
    for k, v in pairs:
        by_key[k].append(v)
    return {k: kahan_sum(by_key[k]) for k in order}


def linear_quantile(values: list[float], q: float) -> float:
    """Quantile ``q`` with linear interpolation between the order statistics (pandas' group-by ``quantile``)."""
    v = sorted(values)
    pos = q * (len(v) - 1)
    i = int(pos)
    frac = pos % 1
    return v[i] if frac == 0.0 else v[i] + (v[i + 1] - v[i]) * frac


def _detail(text: str | None) -> dict:
    """'k=v;k=v' -> dict (as ``metrics._detail``)."""
    return dict(kv.split("=", 1) for kv in text.split(";") if "=" in kv) if text else {}


def end_of(rows: StoreRows) -> float:
    return float(rows.meta.get("end_t_s") or rows.meta.get("last_t_s") or 0.0)


def rules_of_rows(rows: StoreRows) -> DeskRules:
    raw = rows.meta.get("desk_rules")
    return DeskRules.model_validate(json.loads(raw)) if raw else DeskRules()


def desk_numbers(rows: StoreRows, end_s: float | None = None, rules: DeskRules | None = None,
                 backlog_step_s: float = 86400.0) -> dict[str, float]:
    """The headline ticket metrics (``desk.*`` name -> value, NaN where undefined), in the order
    ``metrics.summary_frame`` lists them. ``rules``: the run's (default: read from the store's meta)."""
    end_s = end_of(rows) if end_s is None else end_s
    v: dict[str, float] = {}
    tickets = rows.tickets
    by_type = Counter(t[T_TYPE] for t in tickets)
    open_by_type = Counter(t[T_TYPE] for t in tickets if t[T_STATE] != "closed")
    for ttype in sorted(by_type):
        v[f"desk.tickets.{ttype}"] = float(by_type[ttype])
    v["desk.tickets.total"] = float(len(tickets))
    v["desk.tickets.open_at_end"] = float(sum(open_by_type.values()))
    complaints = [t for t in tickets if t[T_TYPE] == "complaint"]
    by_class = Counter((int(t[T_CLASS]), t[T_SEVERITY]) for t in complaints if t[T_SEVERITY] is not None)
    for (cls, sev), n in sorted(by_class.items()):
        v[f"desk.complaints.class{cls}.{sev}"] = float(n)
    v["desk.complaints.invalid"] = float(sum(t[T_OUTCOME] == "invalid" for t in complaints))
    _deadlines(rows, end_s, v)
    _escalations(rows, v)
    _return_visits(rows, rules or rules_of_rows(rows), v)
    resolved = [t for t in tickets if t[T_TYPE] != "dunning"]
    v["desk.reopen_rate"] = sum(t[T_REOPENS] > 0 for t in resolved) / len(resolved) if resolved else 0.0
    v["desk.pending_handover"] = float(len(rows.pending))
    grid = np.arange(backlog_step_s, end_s + 1e-9, backlog_step_s) if end_s >= backlog_step_s else np.array([end_s])
    created = np.sort(np.array([t[T_CREATED] for t in tickets], dtype=float))
    closed = np.sort(np.array([t[T_CLOSED] for t in tickets if t[T_CLOSED] is not None], dtype=float))
    n_open = np.searchsorted(created, grid, side="right") - np.searchsorted(closed, grid, side="right")
    v["desk.backlog.mean_open"] = float(n_open.mean()) if len(grid) else 0.0
    v["desk.backlog.max_open"] = float(n_open.max()) if len(grid) else 0.0
    dunning = Counter("still_overdue" if t[T_OUTCOME] is None else t[T_OUTCOME]
                      for t in tickets if t[T_TYPE] == "dunning")
    for outcome, n in sorted(dunning.items(), key=lambda kv: -kv[1]):    # most cases first (stable for ties)
        v[f"desk.dunning.{outcome}"] = float(n)
    _outbound(rows, v)
    return v


def _deadlines(rows: StoreRows, end_s: float, v: dict) -> None:
    """On-time share, mean and 90th percentile lateness per rule over evaluated deadlines (met, or due before
    the end); a rule with pending deadlines only has NaN figures."""
    late: dict[str, list[float]] = defaultdict(list)
    evaluated: list[tuple[str, float]] = []
    on_time: Counter = Counter()
    rules = set()
    for _, rule, due, met in rows.deadlines:
        rule = rule.split("#")[0]
        rules.add(rule)
        if met is None and due >= end_s:
            continue                                      # pending
        d = (met if met is not None else end_s) - due
        late[rule].append(d if d > 0.0 else 0.0)
        evaluated.append((rule, late[rule][-1]))
        on_time[rule] += met is not None and met <= due
    sums = group_sums(evaluated)
    for rule in sorted(rules):
        x = late.get(rule)
        if x:
            pct, mean_h, p90_h = 100.0 * on_time[rule] / len(x), sums[rule] / len(x) / 3600, \
                linear_quantile(x, 0.9) / 3600
        else:
            pct = mean_h = p90_h = NAN
        v[f"desk.deadline.{rule}.on_time_pct"] = pct
        v[f"desk.deadline.{rule}.mean_lateness_h"] = mean_h
        v[f"desk.deadline.{rule}.p90_lateness_h"] = p90_h


def _escalations(rows: StoreRows, v: dict) -> None:
    counts: Counter = Counter()
    for e in rows.events:
        if e[3] == "escalated":
            det = _detail(e[6])
            if det.get("rule") is not None and det.get("to") is not None:
                counts[(_OVERDUE.sub("overdue", det["rule"]), det["to"])] += 1
    for (rule, to), n in sorted(counts.items()):
        v[f"desk.escalations.{rule}.{to}"] = float(n)


def _return_visits(rows: StoreRows, rules: DeskRules, v: dict) -> None:
    """Achieved rate = first visits sampled / eligible (sampled + not sampled) per type; on-time share of the
    visits made."""
    type_of = {t[T_ID]: t[T_TYPE] for t in rows.tickets}
    sampled, eligible = Counter(), Counter()
    for e in rows.events:
        kind = e[3]
        if kind == "return_visit_sampled":
            if _detail(e[6]).get("repeat") != "True":
                sampled[type_of.get(e[0])] += 1
                eligible[type_of.get(e[0])] += 1
        elif kind == "return_visit_not_sampled":
            eligible[type_of.get(e[0])] += 1
    done, in_time = Counter(), Counter()
    for tid, rule, due, met in rows.deadlines:
        if met is not None and "return_visit" in rule.lower():
            done[type_of.get(tid)] += 1
            in_time[type_of.get(tid)] += met <= due
    required = {"complaint": rules.return_visits.complaint_rate, "repair": rules.return_visits.repair_rate}
    for ttype in ("complaint", "repair"):
        v[f"desk.return_visit.{ttype}.required_rate"] = float(required[ttype])
        v[f"desk.return_visit.{ttype}.achieved_rate"] = (sampled[ttype] / eligible[ttype] if eligible[ttype]
                                                         else NAN)
        v[f"desk.return_visit.{ttype}.on_time_share"] = in_time[ttype] / done[ttype] if done[ttype] else NAN


def _outbound(rows: StoreRows, v: dict) -> None:
    """Per kind: calls made and the phone agents' hours; totals of agent hours, agent calls and the desk
    staff's (supervisor / manager / assistant) visit hours."""
    kinds = sorted({o[O_KIND] for o in rows.outbound})
    made, by_agents = Counter(), Counter()
    agent_s, staff_s = [], []
    for o in rows.outbound:
        if o[O_FINISH] is None:
            continue
        made[o[O_KIND]] += 1
        if o[O_ROLE] in DESK_PERFORMERS:
            staff_s.append((o[O_KIND], o[O_TALK]))
        else:
            by_agents[o[O_KIND]] += 1
            agent_s.append((o[O_KIND], o[O_TALK]))
    agent_sums, staff_sums = group_sums(agent_s), group_sums(staff_s)
    hours = [agent_sums[k] / 3600 if k in agent_sums else 0.0 for k in kinds]
    for kind, h in zip(kinds, hours):
        v[f"desk.outbound.{kind}.made"] = float(made[kind])
        v[f"desk.outbound.{kind}.agent_hours"] = h
    staff = [staff_sums[k] / 3600 if k in staff_sums else 0.0 for k in kinds]
    # the totals over kinds as numpy adds a column (pairwise), like the tables' Series.sum
    v["desk.outbound.agent_hours"] = float(np.sum(np.array(hours, dtype=float))) if kinds else 0.0
    v["desk.outbound.agent_calls"] = float(sum(by_agents.values())) if kinds else 0.0
    v["desk.outbound.desk_staff_hours"] = float(np.sum(np.array(staff, dtype=float))) if kinds else 0.0
