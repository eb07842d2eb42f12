"""Columnar event log of call attempts, agent ready periods and outbound tasks.

Columns are ``array.array`` buffers written by index while the model runs (compact: 8 bytes per float, no
Python object per value) and handed to pandas/numpy without copying at the end. Times are seconds from the
horizon start; NaN means "did not happen". ``resolved`` is the simulator's behaviour draw (did the caller's
problem get solved on the call); the FCR metric never reads it but measures repeat contacts (``sim.fcr``).
"""
from __future__ import annotations

from array import array

import numpy as np
import pandas as pd

OUTCOMES = ("in_system", "blocked", "ivr", "abandoned", "handled")
IN_SYSTEM, BLOCKED, IVR, ABANDONED, HANDLED = range(5)
ORIGINS = ("first", "redial", "repeat")
FIRST, REDIAL, REPEAT = range(3)

FLOAT_COLUMNS = ("arrive", "ivr_end", "enqueue", "answer", "abandon", "talk_end", "acw_end",
                 "talk", "hold", "acw", "t2_enqueue", "t2_answer", "t2_end")
INT_COLUMNS = {"caller": "q", "attempt": "h", "origin": "b", "call_type": "b", "outcome": "b", "queued": "b",
               "transferred": "b", "resolved": "b", "agent": "l", "rings": "l"}
_INT_DEFAULT = {"agent": -1, "rings": 0}


class CallLog:
    """Growable columns, one row per call attempt; ``new()`` returns the row index."""

    def __init__(self, capacity: int = 1024):
        self.n = 0
        self.capacity = 0
        for name in FLOAT_COLUMNS:
            setattr(self, name, array("d"))
        for name, code in INT_COLUMNS.items():
            setattr(self, name, array(code))
        self._grow(max(capacity, 16))

    def _grow(self, extra: int) -> None:
        nan_block = array("d", [float("nan")]) * extra
        for name in FLOAT_COLUMNS:
            getattr(self, name).extend(nan_block)
        for name, code in INT_COLUMNS.items():
            getattr(self, name).extend(array(code, [_INT_DEFAULT.get(name, 0)]) * extra)
        self.capacity += extra

    def new(self, caller: int, attempt: int, origin: int, call_type: int, arrive: float) -> int:
        i = self.n
        if i >= self.capacity:
            self._grow(self.capacity)
        self.n = i + 1
        self.caller[i] = caller
        self.attempt[i] = attempt
        self.origin[i] = origin
        self.call_type[i] = call_type
        self.arrive[i] = arrive
        return i

    def frame(self, type_names: list[str]) -> pd.DataFrame:
        """The log as a DataFrame (numeric codes turned into categoricals)."""
        n = self.n
        data: dict[str, np.ndarray | pd.Categorical] = {"call_id": np.arange(n)}
        for name in FLOAT_COLUMNS:
            data[name] = np.frombuffer(getattr(self, name), dtype=np.float64, count=n).copy()
        for name, code in INT_COLUMNS.items():
            data[name] = np.frombuffer(getattr(self, name), dtype=np.dtype(code), count=n).copy()
        frame = pd.DataFrame(data)
        frame["call_type"] = pd.Categorical.from_codes(frame["call_type"], categories=type_names)
        frame["outcome"] = pd.Categorical.from_codes(frame["outcome"], categories=list(OUTCOMES))
        frame["origin"] = pd.Categorical.from_codes(frame["origin"], categories=list(ORIGINS))
        for flag in ("queued", "transferred", "resolved"):
            frame[flag] = frame[flag].astype(bool)
        return frame


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
