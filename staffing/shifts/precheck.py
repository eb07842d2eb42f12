"""What no roster can cover, found before the model is built: per slot, the most people the shift rules can put
on the phones (allowed starts, weekdays, breaks that cannot move, per-day and headcount limits), compared with
the requirement and the duty windows. A day on which no shift type can be on the phones at all is reported once,
naming the rule (``shift_types.weekdays`` / ``answers_calls`` / ``max_per_day``). Times: slots of the
:class:`TemplateSet` grid and requirement intervals of ``interval_s`` seconds.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from staffing.shifts.model import _masks, duty_rows
from staffing.shifts.rules import hhmm
from staffing.shifts.templates import TemplateSet

WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class InfeasibleScheduleError(ValueError):
    """No roster satisfies the rules; ``intervals`` lists the uncovered requirement intervals (may be empty when
    only a duty window or a limit is at fault)."""

    def __init__(self, message: str, intervals: list[int] | None = None):
        super().__init__(message)
        self.intervals = intervals or []


def interval_label(k: int, interval_s: int, start_weekday: int | None = None) -> str:
    """'day 1 (Tue) 08:30' for requirement interval k."""
    t = k * interval_s
    day = t // 86400
    wd = f" ({WEEKDAY_ABBR[(start_weekday + day) % 7]})" if start_weekday is not None else ""
    return f"day {day}{wd} {hhmm((t % 86400) / 60)}"


def slot_ranges(idx: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive runs [a, b] of sorted integer indices."""
    if len(idx) == 0:
        return []
    idx = np.sort(np.asarray(idx))
    cut = np.flatnonzero(np.diff(idx) > 1)
    return list(zip(idx[np.r_[0, cut + 1]], idx[np.r_[cut, len(idx) - 1]]))


def describe_slots(slots: np.ndarray, ts: TemplateSet, unit_s: int, start_weekday: int | None) -> list[str]:
    """Slot indices -> 'day 0 00:00-07:00' range labels on a grid of unit_s seconds."""
    per = unit_s // ts.slot_s
    units = np.unique(np.asarray(slots) // per)
    out = []
    for a, b in slot_ranges(units):
        end_s = (b + 1) * unit_s
        same_day = (end_s - 1) // 86400 == a * unit_s // 86400
        end = hhmm((end_s % 86400) / 60) if same_day else interval_label(b + 1, unit_s, start_weekday)
        out.append(f"{interval_label(a, unit_s, start_weekday)} - {end}")
    return out


def upper_bounds(ts: TemplateSet) -> dict[str, np.ndarray]:
    """Most people of each role key that can be on the phones in each slot under the per-day limits."""
    rules = ts.rules
    P = ts.phone_possible().astype(np.float64)
    n_t = len(rules.shift_types)
    E = sp.csr_matrix((np.ones(ts.n_cols), (np.arange(ts.n_cols), ts.type_idx * ts.n_days + ts.day)),
                      shape=(ts.n_cols, n_t * ts.n_days))
    reach = np.asarray(((P @ E) > 0).todense()).reshape(ts.n_slots, n_t, ts.n_days).sum(axis=2)
    caps = np.full(n_t, np.inf)
    for ti, t in enumerate(rules.shift_types):
        for c in (t.max_per_day, t.max_headcount):
            if c is not None:
                caps[ti] = min(caps[ti], c)
    with np.errstate(invalid="ignore"):
        per_type = np.where(reach > 0, reach * caps, 0.0)
    out = {}
    for key, (cm, _) in _masks(ts).items():
        types = np.unique(ts.type_idx[cm])
        agent_types = [ti for ti in types if rules.shift_types[ti].role == "agent"]
        other_types = [ti for ti in types if rules.shift_types[ti].role != "agent"]
        agent_ub = per_type[:, agent_types].sum(axis=1)
        if rules.max_agents_per_day is not None and agent_types:
            agent_ub = np.minimum(agent_ub, rules.max_agents_per_day * reach[:, agent_types].max(axis=1))
        out[key] = agent_ub + per_type[:, other_types].sum(axis=1)
    return out


def closed_days(ts: TemplateSet, req_slot: np.ndarray, can: np.ndarray,
                start_weekday: int | None) -> tuple[list[str], np.ndarray]:
    """Days with a requirement on which nobody can be on the phones at any moment (``can``: most people on the
    phones per slot): one line per day naming the rule that closes it, and the required slots of those days."""
    spd = ts.slots_per_day
    need, can = req_slot.reshape(ts.n_days, spd), np.asarray(can).reshape(ts.n_days, spd)
    lines, slots = [], []
    for d in np.flatnonzero((need.max(axis=1) > 0) & (can.max(axis=1) <= 0)):
        wd = ((start_weekday or 0) + int(d)) % 7
        day_slots = np.flatnonzero(need[d] > 0)
        when = ", ".join(f"{hhmm(a * ts.slot_s / 60)}-{_end_clock((b + 1) * ts.slot_s)}"
                         for a, b in slot_ranges(day_slots))
        lines.append(f"day {d} ({WEEKDAY_ABBR[wd]}): requirement up to {need[d].max():g} agents ({when}), but no "
                     f"shift type can be on the phones that day: {_why_closed(ts.rules, wd)}")
        slots.extend(int(d) * spd + day_slots)
    return lines, np.asarray(slots, dtype=int)


def _end_clock(seconds: int) -> str:
    return "24:00" if seconds % 86400 == 0 else hhmm((seconds % 86400) / 60)


def _why_closed(rules, weekday: int) -> str:
    """Per shift type, the rule that keeps it off the phones on ``weekday`` (0 = Monday)."""
    why = []
    for t in rules.shift_types:
        if not t.answers_calls:
            why.append(f"'{t.name}' does not answer calls (shift_types.answers_calls)")
        elif not t.on_weekday(weekday):
            days = ", ".join(WEEKDAY_ABBR[w] for w in t.weekdays)
            why.append(f"'{t.name}' works on {days} only (shift_types.weekdays)")
        elif t.max_per_day == 0 or t.max_headcount == 0:
            why.append(f"'{t.name}' is capped at 0 (shift_types.max_per_day / max_headcount)")
        elif t.role == "agent" and rules.max_agents_per_day == 0:
            why.append(f"'{t.name}' is an agent type and max_agents_per_day = 0")
        else:
            why.append(f"'{t.name}' cannot reach that day (shift_types.earliest_start / latest_start / breaks)")
    return "; ".join(why) + f" — add a shift type for {WEEKDAY_ABBR[weekday]} or remove the requirement"


def precheck(ts: TemplateSet, req_slot: np.ndarray, interval_s: int, start_weekday: int | None = None) -> None:
    """Raise InfeasibleScheduleError naming intervals no roster can cover (before building the model)."""
    ub = upper_bounds(ts)
    problems, closed = closed_days(ts, req_slot, ub["answers"], start_weekday)
    bad_intervals = {int(s * ts.slot_s // interval_s) for s in closed}
    req_key = "answers"
    short = np.setdiff1d(np.flatnonzero(req_slot > ub[req_key] + 1e-9), closed)
    for a, b in slot_ranges(short):
        k0, k1 = a * ts.slot_s // interval_s, b * ts.slot_s // interval_s
        bad_intervals.update(range(k0, k1 + 1))
        need, can = req_slot[a:b + 1].max(), ub[req_key][a:b + 1].min()
        why = "no shift template can be on the phones then" if can == 0 else \
            f"at most {can:g} can be on the phones (allowed start times, per-day/headcount limits)"
        for lab in describe_slots(np.arange(a, b + 1), ts, interval_s, start_weekday):
            problems.append(f"{lab}: requirement up to {need:g} agents, {why}")
    duty: dict[tuple[str, float], list[int]] = {}
    for (key, s), need in duty_rows(ts).items():
        if need > ub[key][s] + 1e-9:
            duty.setdefault((key, need), []).append(s)
    for (key, need), slots in duty.items():
        who = "people" if key == "any" else f"'{key}' people"
        for lab in describe_slots(np.asarray(slots), ts, ts.slot_s, start_weekday):
            problems.append(f"{lab}: needs {need:g} {who} on the phones (duty window / 24-h rule), "
                            f"no allowed shift can provide them")
    if problems:
        raise InfeasibleScheduleError("cannot cover these intervals:\n  " + "\n  ".join(problems[:40])
                                      + ("\n  ..." if len(problems) > 40 else ""), sorted(bad_intervals))

