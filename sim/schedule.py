"""Expand the scenario's agents (headcount or shifts) into shift instances: one agent on duty for one stretch.

Times are seconds from the horizon start. Absenteeism is drawn per instance (an agent-shift, or an agent-day
for headcount profiles); non-adherence becomes not-ready episodes placed at random inside the instance.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.scenario import Scenario

DRAIN_S = 6 * 3600.0
"""After the horizon no new calls arrive; the model runs this long so calls in the system can finish."""


@dataclass(slots=True)
class ShiftInstance:
    """One agent's stretch on duty (seconds from horizon start)."""

    role: str
    start: float
    end: float
    breaks: list[tuple[float, float, bool]] = field(default_factory=list)  # (start, duration, paid)
    absent: bool = False
    aux: list[tuple[float, float]] = field(default_factory=list)  # not-ready episodes (start, duration)
    person: str = ""   # named person (rota input): the model runs one agent per person
    group: str = ""    # skill group ([routing]); "" = the one agent pool

    @property
    def scheduled_ready_s(self) -> float:
        return self.end - self.start - sum(d for _, d, _ in self.breaks)

    def ready_segments(self) -> list[tuple[float, float]]:
        """Scheduled time on the phones: [start, end) pieces between the breaks (seconds)."""
        pieces, t = [], self.start
        for b_start, b_len, _ in self.breaks:
            pieces.append((t, b_start))
            t = b_start + b_len
        pieces.append((t, self.end))
        return pieces


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index pairs of the True runs of a boolean array."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _headcount_instances(sc: Scenario, headcount: np.ndarray) -> list[ShiftInstance]:
    h = sc.horizon
    split_days = sc.agents.absenteeism > 0
    out: list[ShiftInstance] = []
    top = int(headcount.max()) if headcount.size else 0
    for slot in range(top):
        mask = headcount > slot
        if split_days:
            pieces = []
            for a, b in _runs(mask):
                cuts = list(range((a // h.intervals_per_day + 1) * h.intervals_per_day, b, h.intervals_per_day))
                bounds = [a, *cuts, b]
                pieces += list(zip(bounds[:-1], bounds[1:]))
        else:
            pieces = _runs(mask)
        for a, b in pieces:
            end = b * h.interval_s
            if b == h.n_intervals:  # on duty until the end: stay to let the system drain
                end = h.length_s + DRAIN_S
            out.append(ShiftInstance("agent", a * float(h.interval_s), float(end)))
    return out


def _shift_instances(sc: Scenario) -> list[ShiftInstance]:
    h = sc.horizon
    out: list[ShiftInstance] = []
    for spec in sc.agents.shifts:
        # A shift crossing midnight that started the day before the horizon (e.g. last night's night duty)
        # still covers the first hours of day 0: include it (day -1).
        first = -1 if spec.start_s + spec.length_s > 86400 else 0
        days = [spec.day] if spec.day is not None else [
            d for d in range(first, h.days) if (h.start_weekday + d) % 7 in spec.weekdays()]
        windows = spec.break_windows()
        for d in days:
            if d >= h.days:
                continue
            start = d * 86400.0 + spec.start_s
            end = start + spec.length_s
            breaks = [(start + off, dur, paid) for off, dur, paid in windows]
            if start < 0:  # the part before the horizon does not exist in the model
                breaks = [(max(b, 0.0), dur - (max(b, 0.0) - b), paid) for b, dur, paid in breaks if b + dur > 0]
                start = 0.0
            for _ in range(spec.count):
                out.append(ShiftInstance(spec.role, start, end, list(breaks), group=spec.group or ""))
    return out


def planned_schedule(sc: Scenario) -> list[ShiftInstance]:
    """The shift instances as planned: nobody absent, no not-ready episodes (no randomness)."""
    plain = sc.model_copy(update={"agents": sc.agents.model_copy(update={"absenteeism": 0.0, "adherence": 1.0})})
    return expand_schedule(plain, np.random.default_rng(0))


def scheduled_on_phones(instances: list[ShiftInstance], interval_s: float, n_intervals: int,
                        window: tuple[float, float] = (0.0, np.inf)) -> np.ndarray:
    """Seconds of scheduled on-phone time (shifts minus breaks) of attending instances per interval,
    counting only what falls inside ``window`` (seconds)."""
    from sim.timeline import time_per_interval

    pieces = [p for inst in instances if not inst.absent for p in inst.ready_segments()]
    seg = np.clip(np.array(pieces, dtype=float).reshape(-1, 2), *window)
    return time_per_interval(seg[:, 0], seg[:, 1], interval_s, n_intervals)


def _rota_instances(sc: Scenario) -> list[ShiftInstance]:
    from pathlib import Path

    from sim.rota_input import read_rota
    from sim.scenario import ScenarioError
    path = Path(sc.agents.rota)
    try:
        rows = read_rota(path if path.is_absolute() else sc.base_dir / path, sc.horizon.days,
                         sc.horizon.start_weekday)
    except ValueError as err:
        raise ScenarioError(str(err)) from None
    return [ShiftInstance(role, start, end, breaks, person=name) for name, role, start, end, breaks in rows]


def expand_schedule(sc: Scenario, rng: np.random.Generator) -> list[ShiftInstance]:
    """All shift instances with absence and not-ready episodes drawn from ``rng``."""
    ag = sc.agents
    if ag.rota is not None:
        instances = _rota_instances(sc)
    elif ag.shifts is not None:
        instances = _shift_instances(sc)
    else:
        if ag.headcount is not None:
            headcount = np.full(sc.horizon.n_intervals, ag.headcount, dtype=int)
        else:
            headcount = np.asarray(ag.headcount_per_interval, dtype=int)
            if headcount.size == sc.horizon.intervals_per_day:
                headcount = np.tile(headcount, sc.horizon.days)
        instances = _headcount_instances(sc, headcount)
    if sc.routing is not None:
        from sim.routing import assign_groups
        instances = assign_groups(sc, instances, _headcount_instances)
    if not instances:
        return instances
    absent = rng.random(len(instances)) < ag.absenteeism
    episode = ag.aux_episode_minutes * 60.0
    for inst, is_absent in zip(instances, absent.tolist()):
        inst.absent = is_absent
        if is_absent or ag.adherence >= 1.0:
            continue
        # Not-ready time is measured against the scheduled part of the horizon only.
        ready = min(inst.end, sc.horizon.length_s) - inst.start - sum(d for _, d, _ in inst.breaks)
        total = (1.0 - ag.adherence) * max(ready, 0.0)
        if total <= 0:
            continue
        k = max(1, int(round(total / episode)))
        length = total / k
        # Stratified: one episode at a random place in each of k equal slices, so episodes do not overlap.
        stop = min(inst.end, sc.horizon.length_s)
        slice_s = (stop - inst.start) / k
        offsets = rng.uniform(0.0, max(slice_s - length, 0.0), k)
        starts = inst.start + np.arange(k) * slice_s + offsets
        inst.aux = [(s, length) for s in starts.tolist()]
    return instances
