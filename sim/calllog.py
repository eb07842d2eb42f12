"""Columnar event log of call attempts, agent ready periods and outbound tasks.

Columns are ``array.array`` buffers written by index while the model runs (compact: no Python object per
value; times float64, durations float32 — a 4-byte float keeps ~7 significant digits, i.e. better than 1 ms for
a talk of up to 2 h —, codes and flags one byte, counters four) and handed to pandas/numpy as views, without
copying, at the end. Times are seconds from the horizon start; NaN means "did not happen". ``resolved`` is the
simulator's behaviour draw (did the caller's problem get solved on the call); the FCR metric never reads it but
measures repeat contacts (``sim.fcr``).
"""
from __future__ import annotations

from array import array

import numpy as np
import pandas as pd

OUTCOMES = ("in_system", "blocked", "ivr", "abandoned", "handled", "callback")
IN_SYSTEM, BLOCKED, IVR, ABANDONED, HANDLED, CALLBACK = range(6)
"""``callback``: the caller left the queue by accepting a call-back (virtual hold, ``sim.callbacks``)."""
ORIGINS = ("first", "redial", "repeat")
FIRST, REDIAL, REPEAT = range(3)

CALLBACK_TIME_COLUMNS = ("cb_request", "cb_connect")
"""Virtual hold (``sim.callbacks``): the caller accepted a call-back (left the queue); the resident answered
the call-back. With ``cb_offered`` (a call-back was offered) and ``cb_attempts`` (dial attempts made; the
attempts' agent times are outbound-log rows); NaN / 0 when no call-back was offered — always so in observed
histories. (18 bytes per call: the log stays under the 136 bytes per call of issue 15.)"""
TIME_COLUMNS = ("arrive", "ivr_end", "enqueue", "answer", "abandon", "talk_end", "acw_end",
                "t2_enqueue", "t2_answer", "t2_end", *CALLBACK_TIME_COLUMNS)
DURATION_COLUMNS = ("talk", "hold", "acw")
FLOAT_COLUMNS = {name: "f" if name in DURATION_COLUMNS else "d"      # in the call table's column order
                 for name in ("arrive", "ivr_end", "enqueue", "answer", "abandon", "talk_end", "acw_end",
                              *DURATION_COLUMNS, "t2_enqueue", "t2_answer", "t2_end",
                              *CALLBACK_TIME_COLUMNS)}
INT_COLUMNS = {"caller": "i", "attempt": "b", "origin": "b", "call_type": "b", "outcome": "b", "queued": "b",
               "transferred": "b", "resolved": "b", "agent": "i", "rings": "i", "cb_offered": "b", "cb_attempts": "b"}
_INT_DEFAULT = {"agent": -1, "rings": 0}


class CallLog:
    """Growable columns, one row per call attempt; ``new()`` returns the row index."""

    def __init__(self, capacity: int = 1024):
        self.n = 0
        self.capacity = 0
        for name, code in FLOAT_COLUMNS.items():
            setattr(self, name, array(code))
        for name, code in INT_COLUMNS.items():
            setattr(self, name, array(code))
        self._grow(max(capacity, 16))

    def _grow(self, extra: int) -> None:
        for name, code in FLOAT_COLUMNS.items():
            getattr(self, name).extend(array(code, [float("nan")]) * extra)
        for name, code in INT_COLUMNS.items():
            getattr(self, name).extend(array(code, [_INT_DEFAULT.get(name, 0)]) * extra)
        self.capacity += extra

    def new(self, caller: int, attempt: int, origin: int, call_type: int, arrive: float) -> int:
        i = self.n
        if i >= self.capacity:
            self._grow(max(self.capacity // 4, 1024))   # +25 %: large buffers grow in place (mremap)
        self.n = i + 1
        self.caller[i] = caller
        self.attempt[i] = attempt
        self.origin[i] = origin
        self.call_type[i] = call_type
        self.arrive[i] = arrive
        return i

    def forget_after(self, end: float) -> None:
        """The run stopped at ``end`` s: calls whose talk (or ACW) would end later were still in progress, so
        what had not happened yet is cleared (talk, hold, ACW and outcome of a call still talking; the ACW end
        of a call still in wrap-up), as if it had been recorded step by step."""
        n = self.n
        talk_end = np.frombuffer(self.talk_end, dtype=np.float64, count=n)
        acw_end = np.frombuffer(self.acw_end, dtype=np.float64, count=n)
        talking = talk_end > end
        acw_end[talking | (acw_end > end)] = np.nan
        if talking.any():
            talk_end[talking] = np.nan
            for name in DURATION_COLUMNS:
                np.frombuffer(getattr(self, name), dtype=np.float32, count=n)[talking] = np.nan
            for name in ("outcome", "resolved", "transferred"):
                np.frombuffer(getattr(self, name), dtype=np.int8, count=n)[talking] = 0
        del talk_end, acw_end   # release the buffer exports

    def column(self, name: str) -> np.ndarray:
        """Column ``name`` as a read-only numpy view of the first ``n`` rows (no copy)."""
        buf = getattr(self, name)
        view = np.frombuffer(buf, dtype=np.dtype(buf.typecode), count=self.n)
        view.flags.writeable = False
        return view

    def bytes_per_row(self) -> int:
        return sum(getattr(self, name).itemsize for name in (*FLOAT_COLUMNS, *INT_COLUMNS))

    def frame(self, type_names: list[str]) -> pd.DataFrame:
        """The log as a DataFrame (numeric codes turned into categoricals, flags into booleans); numeric
        columns are views of the log's buffers, not copies (the log must not grow afterwards)."""
        data: dict[str, np.ndarray | pd.Categorical] = {"call_id": np.arange(self.n)}
        for name in (*FLOAT_COLUMNS, *INT_COLUMNS):
            data[name] = self.column(name)
        data["call_type"] = pd.Categorical.from_codes(data["call_type"], categories=type_names)
        data["outcome"] = pd.Categorical.from_codes(data["outcome"], categories=list(OUTCOMES))
        data["origin"] = pd.Categorical.from_codes(data["origin"], categories=list(ORIGINS))
        for flag in ("queued", "transferred", "resolved", "cb_offered"):
            data[flag] = data[flag].view(np.bool_)
        return pd.DataFrame(data, copy=False)


class PeriodLog:
    """(agent, start, end) periods, e.g. agent ready periods; seconds."""

    def __init__(self):
        self.agent = array("l")
        self.start = array("d")
        self.end = array("d")

    def add(self, agent: int, start: float, end: float) -> None:
        if end > start:
            self.agent.append(agent)
            self.start.append(start)
            self.end.append(end)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"agent": np.frombuffer(self.agent, dtype=np.dtype("l")).copy(),
                             "start": np.frombuffer(self.start, dtype=np.float64).copy(),
                             "end": np.frombuffer(self.end, dtype=np.float64).copy()})
