"""Roster DataFrame (the simulator's schedule input), CSV I/O and minute-level coverage of a roster.

Roster columns (api_contract.md): ``template`` (shift type name), ``day`` (0-based horizon day the shift
starts), ``start``/``end`` ("HH:MM"; end <= start: next day), ``breaks`` (";"-joined "HH:MM+MINUTES" clock
times, "" for none), ``count`` (people), ``role`` ("agent" | "night_duty"). The hand-over (people arrive
``handover_minutes`` before ``start``, paid, not on the phones) is not a roster column.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from staffing.shifts.rules import clock_minutes, hhmm
from staffing.shifts.templates import TemplateSet

ROSTER_COLUMNS = ["template", "day", "start", "end", "breaks", "count", "role"]


def roster_from_solution(ts: TemplateSet, x: np.ndarray, b: np.ndarray) -> pd.DataFrame:
    """Turn integer column/break-option counts into roster rows (identical shifts grouped).

    Break options of one column are paired person by person in offset order; break windows of a shift type are
    disjoint and in time order (validated in ShiftRules), so every pairing is a valid day for one person.
    """
    x = np.rint(np.asarray(x, float)).astype(np.int64)
    b = np.rint(np.asarray(b, float)).astype(np.int64)
    slot_min = ts.slot_s / 60.0
    by_col: dict[int, list[np.ndarray]] = {}
    for k in np.flatnonzero(b > 0):
        by_col.setdefault(int(ts.brk_col[k]), []).append(k)
    rows: Counter = Counter()
    for i in np.flatnonzero(x > 0):
        t = ts.types[ts.type_idx[i]]
        n = int(x[i])
        per_break: list[list[str]] = [[] for _ in t.breaks]
        for k in sorted(by_col.get(int(i), []), key=lambda k: (ts.brk_j[k], ts.brk_offset_slots[k])):
            clock = ts.start_min[i] + ts.brk_offset_slots[k] * slot_min
            per_break[ts.brk_j[k]] += [f"{hhmm(clock)}+{int(round(ts.brk_len_slots[k] * slot_min))}"] * int(b[k])
        for j, items in enumerate(per_break):
            if len(items) != n:
                raise ValueError(f"internal: column {i} has {n} people but {len(items)} placements of break {j}")
        start = int(ts.start_min[i])
        end = start + int(round(ts.span_slots[i] * slot_min))
        for p in range(n):
            brk = ";".join(items[p] for items in per_break)
            rows[(t.name, int(ts.day[i]), hhmm(start), hhmm(end), brk, t.role)] += 1
    out = pd.DataFrame([{"template": k[0], "day": k[1], "start": k[2], "end": k[3], "breaks": k[4],
                         "count": c, "role": k[5]} for k, c in rows.items()], columns=ROSTER_COLUMNS)
    out = out.sort_values(["day", "start", "template", "breaks"], kind="stable").reset_index(drop=True)
    return out.astype({"day": "int64", "count": "int64"})


def write_roster_csv(roster: pd.DataFrame, path: str | Path) -> Path:
    """Write the roster as CSV (contract columns, no index)."""
    path = Path(path)
    roster[ROSTER_COLUMNS].to_csv(path, index=False)
    return path


def read_roster_csv(path: str | Path) -> pd.DataFrame:
    """Read a roster CSV written by :func:`write_roster_csv` (empty ``breaks`` stay "")."""
    df = pd.read_csv(path, dtype={"template": str, "start": str, "end": str, "breaks": str, "role": str},
                     keep_default_na=False)
    missing = [c for c in ROSTER_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"roster CSV {path}: missing columns {missing} (need {ROSTER_COLUMNS})")
    return df[ROSTER_COLUMNS].astype({"day": "int64", "count": "int64"})


def parse_breaks(text: str) -> list[tuple[int, int]]:
    """'12:00+30;15:00+15' -> [(720, 30), (900, 15)] (clock minutes, length minutes)."""
    out = []
    for item in filter(None, (s.strip() for s in str(text).split(";"))):
        clock, _, minutes = item.partition("+")
        if not minutes:
            raise ValueError(f"break {item!r} must be 'HH:MM+MINUTES'")
        out.append((clock_minutes(clock), int(float(minutes))))
    return out


def roster_minutes(roster: pd.DataFrame, n_days: int, *, cyclic: bool = True, handover_minutes: float = 0,
                   role: str | None = None) -> dict[str, np.ndarray]:
    """Per-minute head counts over the horizon: ``on_phone``, ``on_site`` (start..end incl. breaks),
    ``handover`` (the minutes before start). ``role`` filters rows ("agent", "night_duty"; None: all)."""
    total = n_days * 1440
    acc = {k: np.zeros(total + 1, np.int64) for k in ("on_site", "breaks", "handover")}

    def add(arr, a, e, n):
        """Add n people over minutes [a, e) (wrapped when cyclic, clipped otherwise)."""
        if e <= a:
            return
        if not cyclic:
            a, e = max(a, 0), min(e, total)
            if e > a:
                arr[a] += n
                arr[e] -= n
            return
        if e - a >= total:
            arr[0] += n
            arr[total] -= n
            return
        a0 = a % total
        e0 = a0 + (e - a)
        if e0 <= total:
            arr[a0] += n
            arr[e0] -= n
        else:
            arr[a0] += n
            arr[total] -= n
            arr[0] += n
            arr[e0 - total] -= n

    for r in roster.itertuples(index=False):
        if role is not None and r.role != role:
            continue
        s = clock_minutes(r.start)
        length = (clock_minutes(r.end) - s) % 1440 or 1440
        a = int(r.day) * 1440 + s
        add(acc["on_site"], a, a + length, int(r.count))
        if handover_minutes:
            add(acc["handover"], a - int(handover_minutes), a, int(r.count))
        for clock, ln in parse_breaks(r.breaks):
            off = (clock - s) % 1440
            add(acc["breaks"], a + off, a + off + ln, int(r.count))
    out = {k: np.cumsum(v)[:total] for k, v in acc.items()}
    out["on_phone"] = out["on_site"] - out.pop("breaks")
    return out


def roster_coverage(roster: pd.DataFrame, n_days: int, interval_s: int, *, cyclic: bool = True,
                    handover_minutes: float = 0, role: str | None = None) -> pd.DataFrame:
    """Per reporting interval: mean and minimum on the phones, mean on site, mean in hand-over."""
    per_min = roster_minutes(roster, n_days, cyclic=cyclic, handover_minutes=handover_minutes, role=role)
    step = int(interval_s) // 60
    if step < 1 or 1440 % step:
        raise ValueError(f"interval_s must be a whole number of minutes dividing a day, got {interval_s}")
    n = n_days * 1440 // step
    shaped = {k: v.reshape(n, step) for k, v in per_min.items()}
    return pd.DataFrame({
        "interval": np.arange(n), "interval_start_s": np.arange(n) * float(interval_s),
        "on_phone_mean": shaped["on_phone"].mean(axis=1), "on_phone_min": shaped["on_phone"].min(axis=1),
        "on_site_mean": shaped["on_site"].mean(axis=1), "handover_mean": shaped["handover"].mean(axis=1)})



def wrap_roster(roster: pd.DataFrame, n_days: int) -> pd.DataFrame:
    """For a simulator run of a cyclic roster: shifts running past the horizon end also cover day 0 from 00:00
    (the same shift of the previous cycle). Adds one ``<template>+carry`` row per such shift on day 0 with the
    breaks that fall after midnight. The original rows are kept unchanged (they run past the horizon)."""
    total = n_days * 1440
    extra = []
    for r in roster.itertuples(index=False):
        s = clock_minutes(r.start)
        length = (clock_minutes(r.end) - s) % 1440 or 1440
        a = int(r.day) * 1440 + s
        if a + length <= total:
            continue
        over = a + length - total
        brk = [f"{hhmm(c)}+{ln}" for c, ln in parse_breaks(r.breaks)
               if (c - s) % 1440 >= length - over and (c - s) % 1440 + ln <= length]
        extra.append({"template": f"{r.template}+carry", "day": 0, "start": "00:00", "end": hhmm(over),
                      "breaks": ";".join(brk), "count": int(r.count), "role": r.role})
    if not extra:
        return roster.copy()
    return pd.concat([roster, pd.DataFrame(extra, columns=ROSTER_COLUMNS)], ignore_index=True)
