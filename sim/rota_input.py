"""A per-person rota as the simulator's schedule: ``[agents] rota = "rota.csv"`` (the ``staffing.roster`` output).

Every row is one person's shift on one date (columns agent, date, start, end, breaks, role; others ignored).
The rota's first date is horizon day 0 and must fall on ``horizon.start_weekday``. A rota shorter than the
horizon repeats when the horizon is a whole number of rota lengths; shifts that run past the rota's end also
cover the first hours of day 0 (the rota repeats, like a cyclic roster). Each instance carries the person's
name, so the model runs one agent per person and absenteeism hits that person's shift.

Times are seconds from the horizon start.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from sim.config import clock_seconds

NEED = ("agent", "date", "start", "end")


def read_rota(path: Path, days: int, start_weekday: int) -> list[tuple[str, str, float, float, list]]:
    """(person, role, start s, end s, breaks [(start s, duration s, paid)]) per shift, repeated over ``days``.

    ValueError naming the file and the problem on bad input."""
    if not path.exists():
        raise ValueError(f"agents.rota: file not found: {path}")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in NEED if c not in frame.columns]
    if missing:
        raise ValueError(f"agents.rota: {path} lacks columns {missing} (need {list(NEED)})")
    if frame.empty:
        raise ValueError(f"agents.rota: {path} has no shifts")
    try:
        dates = [dt.date.fromisoformat(d) for d in frame["date"]]
    except ValueError as err:
        raise ValueError(f"agents.rota: {path}: dates must be YYYY-MM-DD ({err})") from None
    first = min(dates)
    if first.weekday() != start_weekday:
        raise ValueError(f"agents.rota: {path} starts on {first} (a {first.strftime('%A')}) but horizon."
                         f"start_weekday is {start_weekday} (0 = Monday)")
    span = (max(dates) - first).days + 1
    weeks = -(-span // 7) * 7          # a rota's last days may be free for everyone: try whole weeks too
    span = span if days % span == 0 or days % weeks else weeks
    if span > days or days % span:
        raise ValueError(f"agents.rota: {path} covers {span} day(s); horizon.days ({days}) must be a whole "
                         "number of rota lengths")
    shifts = []
    for row, date in zip(frame.itertuples(index=False), dates):
        start = clock_seconds(row.start)
        length = (clock_seconds(row.end) - start) % 86400 or 86400
        role = getattr(row, "role", "") or "agent"
        if role not in ("agent", "night_duty"):
            raise ValueError(f"agents.rota: {path}: role must be 'agent' or 'night_duty', got {role!r}")
        offs = []
        for item in filter(None, str(getattr(row, "breaks", "") or "").split(";")):
            clock, _, minutes = item.partition("+")
            offs.append(((clock_seconds(clock) - start) % 86400, float(minutes) * 60.0))
        a = (date - first).days * 86400.0 + start
        for rep in range(-1, days // span):
            s = a + rep * span * 86400.0
            e = s + length
            if e <= 0 or s >= days * 86400.0:
                continue
            breaks = [(s + o, d, False) for o, d in offs]
            if s < 0:        # the previous repetition's shift running into day 0
                breaks = [(max(b, 0.0), d - (max(b, 0.0) - b), p) for b, d, p in breaks if b + d > 0]
                s = 0.0
            shifts.append((str(row.agent), role, s, e, breaks))
    return shifts
