"""Shift templates generated from :class:`ShiftRules`, on a slot grid, as flat numpy arrays.

A *shift column* is (shift type, length, break-length variant, start time, day): its integer variable counts the people
working it. A *break option* is (shift column, break j, start offset): its integer variable counts how many of
those people take break j there (implicit break placement, Aykin 1996: the options of one (column, break) sum to
the column). One explicit template = one shift column with one option per break, so the number of templates is
``sum over columns of prod_j (#options of break j)``.

Time: the slot grid (``slot_s`` seconds) is the largest step that divides the requirement interval, the start
granularity, every break length/window start, every shift length and every duty-window edge. Slots are numbered
from 0 at day 0 00:00; the horizon has ``n_slots``. Cyclic horizons wrap slot indices modulo ``n_slots``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from math import gcd

import numpy as np
import scipy.sparse as sp

from staffing.shifts.rules import ShiftRules, ShiftType, clock_minutes


@dataclass
class TemplateSet:
    """Shift columns and break options (all index arrays are numpy; times in slots unless named)."""

    rules: ShiftRules
    slot_s: int
    n_days: int
    slots_per_day: int
    use_days_off: bool
    # shift columns
    type_idx: np.ndarray
    variant: list[tuple[int, ...]]
    day: np.ndarray
    start_min: np.ndarray          # start clock time, minutes after midnight
    start_slot: np.ndarray         # absolute start slot (day * slots_per_day + clock slot)
    span_slots: np.ndarray
    cost: np.ndarray               # paid cost of one shift incl. hand-over
    role: np.ndarray               # "agent" | "night_duty"
    answers: np.ndarray            # bool: counts toward the requirement
    # break options
    brk_col: np.ndarray            # shift column of the option
    brk_j: np.ndarray              # index of the break within the shift type
    brk_offset_slots: np.ndarray   # break start, slots after the shift start
    brk_len_slots: np.ndarray
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_slots(self) -> int:
        return self.n_days * self.slots_per_day

    @property
    def n_cols(self) -> int:
        return len(self.type_idx)

    @property
    def types(self) -> list[ShiftType]:
        return self.rules.shift_types

    def n_templates(self) -> int:
        """Explicit templates represented (columns x product of break placements)."""
        if not self.n_cols:
            return 0
        n_opt = np.zeros((self.n_cols, max((len(t.breaks) for t in self.types), default=0) or 1), dtype=np.int64)
        np.add.at(n_opt, (self.brk_col, self.brk_j), 1)
        n_opt[n_opt == 0] = 1
        return int(np.prod(n_opt, axis=1).sum())

    def break_groups(self) -> np.ndarray:
        """Group id per break option: one group per (shift column, break j)."""
        if "groups" not in self._cache:
            width = max((len(t.breaks) for t in self.types), default=1) or 1
            key = self.brk_col * width + self.brk_j
            _, inv = np.unique(key, return_inverse=True)
            self._cache["groups"] = inv.astype(np.int64)
        return self._cache["groups"]

    def _spans(self, start: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row slot, column) pairs of [start, start+length) per column, wrapped or clipped to the horizon."""
        cols = np.repeat(np.arange(len(start)), length)
        first = np.repeat(start, length)
        within = np.arange(len(cols)) - np.repeat(np.cumsum(length) - length, length)
        slots = first + within
        if self.rules.cyclic:
            slots = slots % self.n_slots
        else:
            keep = slots < self.n_slots
            slots, cols = slots[keep], cols[keep]
        return slots, cols

    def shift_matrix(self) -> sp.csr_matrix:
        """n_slots x n_cols: 1 where the shift column is on site (start..end, breaks included)."""
        if "A" not in self._cache:
            r, c = self._spans(self.start_slot, self.span_slots)
            self._cache["A"] = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(self.n_slots, self.n_cols))
        return self._cache["A"]

    def break_matrix(self) -> sp.csr_matrix:
        """n_slots x n_break_options: 1 where a person with this break option is on that break."""
        if "B" not in self._cache:
            start = self.start_slot[self.brk_col] + self.brk_offset_slots
            r, c = self._spans(start, self.brk_len_slots)
            self._cache["B"] = sp.csr_matrix((np.ones(len(r)), (r, c)),
                                             shape=(self.n_slots, len(self.brk_col)))
        return self._cache["B"]

    def phone_possible(self) -> sp.csr_matrix:
        """n_slots x n_cols bool: the column can have someone on the phones in the slot (some placement of
        every break leaves the slot free)."""
        A = self.shift_matrix().astype(bool)
        if not len(self.brk_col):
            return A.tocsr()
        g = self.break_groups()
        n_g = int(g.max()) + 1
        G = sp.csr_matrix((np.ones(len(g)), (np.arange(len(g)), g)), shape=(len(g), n_g))
        size = np.bincount(g, minlength=n_g)
        counts = (self.break_matrix() @ G).tocoo()
        forced = counts.data >= size[counts.col]
        group_col = np.zeros(n_g, dtype=np.int64)
        group_col[g] = self.brk_col
        F = sp.csr_matrix((np.ones(int(forced.sum())), (counts.row[forced], group_col[counts.col[forced]])),
                          shape=A.shape).astype(bool)
        return (A.astype(np.int8) - A.multiply(F).astype(np.int8)).astype(bool).tocsr()


def slot_seconds(rules: ShiftRules, interval_s: int) -> int:
    """Largest slot (s) dividing the interval, the start grid, break lengths/windows, lengths and duty edges."""
    vals = [int(interval_s), 86400, rules.start_granularity_minutes * 60]
    for t in rules.shift_types:
        vals += [t.length_minutes * 60, clock_minutes(t.earliest_start) * 60]
        if t.max_length_minutes is not None:
            vals += [t.length_step_minutes * 60]
        for b in t.breaks:
            vals += [m * 60 for m in b.minutes] + [b.window_start_minutes * 60]
    for w in rules.duty_windows:
        vals += [clock_minutes(w.start) * 60, clock_minutes(w.end) * 60]
    g = 0
    for v in vals:
        g = gcd(g, int(v))
    return g


def generate_templates(rules: ShiftRules, interval_s: int, n_days: int, start_weekday: int = 0) -> TemplateSet:
    """Build every shift column and break option for ``n_days`` days on the slot grid (day 0 falls on
    ``start_weekday``, 0 = Monday; it matters for weekday-limited shift types only)."""
    if n_days < 1:
        raise ValueError(f"n_days must be >= 1, got {n_days}")
    slot_s = slot_seconds(rules, interval_s)
    spd = 86400 // slot_s
    slot_min = slot_s / 60.0
    use_days_off = rules.days_off is not None and n_days % rules.days_off.cycle_days == 0 \
        and any(t.in_days_off_model for t in rules.shift_types)
    cols: dict[str, list] = {k: [] for k in ("type_idx", "variant", "day", "start_min", "span", "cost", "role",
                                             "answers")}
    brk: dict[str, list] = {k: [] for k in ("col", "j", "off", "len")}
    for ti, t in enumerate(rules.shift_types):
        starts = t.start_minutes(rules.start_granularity_minutes)
        for length, variant in [(n, v) for n in t.lengths() for v in t.variants()]:
            paid_h = (length + rules.handover_minutes) / 60.0
            span = t.span_minutes(variant, length)
            options = []
            for b, m in zip(t.breaks, variant):
                offs = np.arange(b.window_start_minutes, b.window_end_minutes + 1e-9, slot_min)
                options.append([(int(round(o / slot_min)), int(round(m / slot_min))) for o in offs])
            for day in range(n_days):
                if not t.on_weekday((start_weekday + day) % 7):
                    continue
                for s in starts:
                    col = len(cols["day"])
                    cols["type_idx"].append(ti)
                    cols["variant"].append(variant)
                    cols["day"].append(day)
                    cols["start_min"].append(s)
                    cols["span"].append(int(round(span / slot_min)))
                    cols["cost"].append(paid_h * t.hourly_cost)
                    cols["role"].append(t.role)
                    cols["answers"].append(t.answers_calls)
                    for j, opts in enumerate(options):
                        for off, ln in opts:
                            brk["col"].append(col)
                            brk["j"].append(j)
                            brk["off"].append(off)
                            brk["len"].append(ln)
    start_min = np.asarray(cols["start_min"], dtype=np.int64)
    day = np.asarray(cols["day"], dtype=np.int64)
    return TemplateSet(
        rules=rules, slot_s=slot_s, n_days=n_days, slots_per_day=spd, use_days_off=use_days_off,
        type_idx=np.asarray(cols["type_idx"], dtype=np.int64), variant=cols["variant"], day=day,
        start_min=start_min, start_slot=day * spd + (start_min * 60) // slot_s,
        span_slots=np.asarray(cols["span"], dtype=np.int64), cost=np.asarray(cols["cost"], dtype=float),
        role=np.asarray(cols["role"], dtype=object), answers=np.asarray(cols["answers"], dtype=bool),
        brk_col=np.asarray(brk["col"], dtype=np.int64), brk_j=np.asarray(brk["j"], dtype=np.int64),
        brk_offset_slots=np.asarray(brk["off"], dtype=np.int64), brk_len_slots=np.asarray(brk["len"], dtype=np.int64),
    )

