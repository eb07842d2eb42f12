"""Streaming call log: the metrics' per-interval sums folded in as calls finish, no per-call table kept.

``StreamingCallLog`` has the write API of ``sim.calllog.CallLog`` (``new()`` returns a row the model writes by
index), but its rows are *slots* reused once their call has finished: when every slot is taken, the finished
calls are folded into per-interval accumulators (``sim.metrics.call_interval_sums``, which is additive over
parts of a log) and their slots are cleared for new calls. Memory is then bounded by the calls in progress
plus what first-call resolution has to remember (below), not by the length of the run.

A call is *finished* when nothing will be written to its row again: blocked, completed in the IVR, abandoned,
or handled with its ACW ended (``acw_end`` <= now) and any tier-2 leg over. At the end of the run
(``interval_sums``) every row still in use is folded as it stands, as ``compute_metrics`` would read it.

First-call resolution (``sim.fcr``) looks ahead: a handled call is unresolved if the same caller calls again
about the same call type within the repeat window after its talk ended. The log keeps, per handled call, 17
bytes (caller, type, end, interval) until its window has passed, and the later attempts that could be such
repeat contacts — redials and repeats (a first attempt is always a new caller, so it is never one). Calls whose
window has passed are settled during the run (unless agent call-backs may exist: with ``callbacks=True`` they
are settled at the end, against the outbound log's call-backs). Results equal ``compute_metrics`` on the full
log up to float rounding of the sums (they add in another order). Times in seconds.
"""
from __future__ import annotations

from array import array

import numpy as np
import pandas as pd

from sim.calllog import (ABANDONED, BLOCKED, FIRST, FLOAT_COLUMNS, HANDLED, INT_COLUMNS, IVR, CallLog,
                         _INT_DEFAULT)
from sim.fcr import _next_contact_after
from sim.scenario import Scenario

SLOTS = 8192
"""Default number of row slots (about 0.9 MB; they grow when a fold frees fewer than a quarter): folds happen
when they are all taken, so each fold handles thousands of calls (a fold costs O(slots + intervals of the
horizon), its temporary arrays a few MB)."""


SETTLE_ROWS = 65536
"""First-call resolution is settled in groups of about this many handled calls."""


class StreamingCallLog(CallLog):
    """A ``CallLog`` whose finished rows are folded into ``sim.metrics`` interval sums and reused.

    ``n`` counts the call attempts so far (rows are slots, not attempt numbers). ``callbacks=True``: agent
    call-backs may count as repeat contacts (a ``[desk]`` layer), so first-call resolution is settled only at
    the end."""

    def __init__(self, scenario: Scenario, slots: int = SLOTS, callbacks: bool = False):
        super().__init__(slots)
        self.sc = scenario
        self.attempts = 0
        self._free = list(range(self.capacity - 1, -1, -1))
        self._sums: dict | None = None
        self._window = scenario.metrics.repeat_window_days * 86400.0
        self._settle_early = not callbacks
        self._settled_early = False
        self._pending: list[dict] = []            # handled calls whose repeat window is open: column chunks
        self._contacts = {"caller": array("q"), "call_type": array("b"), "time": array("d")}
        self.folds = 0

    # ------------------------------------------------------------------ the model's write API
    @property
    def n(self) -> int:
        return self.attempts

    @n.setter
    def n(self, value: int) -> None:   # CallLog.__init__ sets n = 0
        self.attempts = value

    def new(self, caller: int, attempt: int, origin: int, call_type: int, arrive: float) -> int:
        free = self._free
        if not free:
            self._fold(arrive)
        i = free.pop()
        self.attempts += 1
        self.caller[i] = caller
        self.attempt[i] = attempt
        self.origin[i] = origin
        self.call_type[i] = call_type
        self.arrive[i] = arrive
        if origin != FIRST:   # a possible repeat contact of an earlier handled call
            c = self._contacts
            c["caller"].append(caller)
            c["call_type"].append(call_type)
            c["time"].append(arrive)
        return i

    def forget_after(self, end: float) -> None:
        attempts = self.attempts
        self.attempts = self.capacity   # CallLog.forget_after works on the first n rows: here every slot
        try:
            super().forget_after(end)
        finally:
            self.attempts = attempts

    def column(self, name: str) -> np.ndarray:
        raise ValueError("a streaming call log keeps no per-call table (run with keep_calls=True for calls)")

    def frame(self, type_names: list[str]) -> pd.DataFrame:
        return self.column("frame")

    # ------------------------------------------------------------------ folding
    def _views(self) -> dict[str, np.ndarray]:
        return {name: np.frombuffer(getattr(self, name), dtype=np.dtype(getattr(self, name).typecode),
                                    count=self.capacity) for name in (*FLOAT_COLUMNS, *INT_COLUMNS)}

    def _fold(self, now: float, everything: bool = False) -> None:
        """Fold finished rows (``everything``: every row in use) into the sums and free their slots; grow the
        slots when fewer than a quarter could be freed."""
        from sim.metrics import call_interval_sums

        rows, batch = self._take_finished(now, everything)
        sums = call_interval_sums(batch, self.sc, resolved=np.zeros(rows.size, dtype=bool))
        if self._sums is None:
            self._sums = {key: np.array(value, dtype=float) for key, value in sums.items()}
        else:
            for key, value in sums.items():
                self._sums[key] += value
        self._remember_handled(batch)
        self._free.extend(rows[::-1].tolist())
        self.folds += 1
        if not everything and rows.size < self.capacity // 4:
            old = self.capacity
            self._grow(max(old // 2, 1024))   # no numpy view of the buffers is alive here
            self._free.extend(range(self.capacity - 1, old - 1, -1))
        if self._settle_early and not everything:
            self._settle(before=now - self._window)

    def _take_finished(self, now: float, everything: bool) -> tuple[np.ndarray, dict]:
        """(slots, copy of their columns) of the finished rows, and clear those slots."""
        v = self._views()
        used = np.isfinite(v["arrive"])
        if everything:
            done = used
        else:
            out = v["outcome"]
            over = (out == BLOCKED) | (out == IVR) | (out == ABANDONED)
            handled = ((out == HANDLED) & (v["acw_end"] <= now)
                       & (np.isnan(v["t2_enqueue"]) | np.isfinite(v["t2_end"])))
            done = used & (over | handled)
        rows = np.flatnonzero(done)
        batch = {name: col[rows] for name, col in v.items()}
        for name, col in v.items():    # clear the slots for new calls
            col[rows] = np.nan if name in FLOAT_COLUMNS else _INT_DEFAULT.get(name, 0)
        return rows, batch

    def _remember_handled(self, batch: dict) -> None:
        """Keep the handled calls of a folded batch (the rows ``call_interval_sums`` counts as handled) for
        first-call resolution."""
        h = self.sc.horizon
        arrive, answer, end = batch["arrive"], batch["answer"], batch["talk_end"]
        handled = ((arrive >= h.warmup_s) & (arrive < h.length_s) & np.isfinite(batch["enqueue"])
                   & np.isfinite(answer) & np.isfinite(batch["acw_end"]))
        if handled.any():
            end = np.where(np.isfinite(end), end, answer)[handled]
            self._pending.append({"caller": batch["caller"][handled],   # int32
                                  "call_type": batch["call_type"][handled], "t": end,
                                  "idx": np.floor(arrive[handled] / float(h.interval_s)).astype(np.int32)})

    def _settle(self, before: float, callbacks: pd.DataFrame | None = None) -> None:
        """Count the pending handled calls whose talk ended before ``before`` s as resolved unless a repeat
        contact (or call-back) came within the window; drop contacts no pending call can see any more. Works in
        groups of at most ``SETTLE_ROWS`` calls, so its temporary arrays stay small."""
        ready = [chunk for chunk in self._pending if chunk["t"].size and chunk["t"].max() < before]
        if not ready:
            return
        self._settled_early = self._settled_early or before < np.inf
        self._pending = [chunk for chunk in self._pending if not any(chunk is r for r in ready)]
        group: list[dict] = []
        for chunk in ready:
            group.append(chunk)
            if sum(c["t"].size for c in group) >= SETTLE_ROWS:
                self._settle_group(group, callbacks)
                group = []
        if group:
            self._settle_group(group, callbacks)
        c = self._contacts
        oldest = min((chunk["t"].min() for chunk in self._pending if chunk["t"].size), default=np.inf)
        times = np.frombuffer(c["time"], dtype=np.float64)
        keep = int(np.searchsorted(times, oldest, side="right"))   # contacts arrive in time order
        del times
        if keep:
            for key, buf in c.items():
                c[key] = array(buf.typecode, memoryview(buf)[keep:])

    def _settle_group(self, group: list[dict], callbacks: pd.DataFrame | None) -> None:
        ends = pd.DataFrame({k: np.concatenate([c[k] for c in group]) for k in ("caller", "call_type", "t")})
        idx = np.concatenate([c["idx"] for c in group])
        t = ends["t"].to_numpy()
        c = self._contacts
        times = np.frombuffer(c["time"], dtype=np.float64)
        lo, hi = np.searchsorted(times, [t.min(), t.max() + self._window], side="right")   # only these can count
        contacts = pd.DataFrame({"caller": np.frombuffer(c["caller"], dtype=np.int64)[lo:hi],
                                 "call_type": np.frombuffer(c["call_type"], dtype=np.int8)[lo:hi],
                                 "time": times[lo:hi]}, copy=True)
        del times
        again = _next_contact_after(ends, contacts, ["caller", "call_type"])
        repeat = np.isfinite(again) & (again - t <= self._window)
        if callbacks is not None and len(callbacks):
            cb = pd.DataFrame({"caller": callbacks["caller"].to_numpy().astype(np.int64),
                               "time": callbacks["start"].to_numpy(dtype=float)})
            called = _next_contact_after(ends[["caller", "t"]], cb, ["caller"])
            repeat |= np.isfinite(called) & (called - t <= self._window)
        n = self.sc.horizon.n_intervals
        self._sums["resolved"] += np.bincount(idx[~repeat], minlength=n)[:n].astype(float)

    def interval_sums(self, callbacks: pd.DataFrame | None = None) -> dict:
        """The per-interval sums of ``sim.metrics.call_interval_sums`` over every call of the run (after
        ``forget_after``); ``callbacks``: the outbound log's agent call-backs (caller, start)."""
        self._fold(np.inf, everything=True)
        if callbacks is not None and len(callbacks) and self._settled_early:
            raise ValueError("call-backs in the outbound log but first-call resolution was settled during the "
                             "run: build the StreamingCallLog with callbacks=True")
        self._settle(np.inf, callbacks)
        return {k: v.copy() for k, v in self._sums.items()}

    def bytes_held(self) -> int:
        """Bytes of the slots, the pending handled calls and the kept contacts (not the accumulators)."""
        pending = sum(c[k].nbytes for c in self._pending for k in c)
        return self.capacity * self.bytes_per_row() + pending + sum(b.itemsize * len(b)
                                                                     for b in self._contacts.values())
