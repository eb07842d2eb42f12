"""Assembling an ``ObservedLog`` while a reader streams a file: call rows, agent sessions, origins.

Readers write absolute times (epoch seconds) into a ``sim.calllog.CallLog`` — the simulator's own compact
columns, so a million-line log needs no Python object per value — and tell the ``SessionTracker`` when
agents log in, log out, pause and unpause. ``finish`` picks the start (midnight of the first day in the
time zone), shifts every time to seconds from it, and labels redials/repeats from repeated caller ids.
"""
from __future__ import annotations

import math
from array import array

import numpy as np
import pandas as pd

from sim.calllog import FIRST, REDIAL, REPEAT, CallLog
from sim.history.observed import ObservedLog, Problems, QUEUE_EXITS, ALWAYS_NOT_IN_LOG

EXIT = {name: i for i, name in enumerate(QUEUE_EXITS)}
ANONYMOUS = {"", "anonymous", "unknown", "<unknown>", "restricted", "private", "none", "null", "0"}
TIME_COLUMNS = ("arrive", "ivr_end", "enqueue", "answer", "abandon", "talk_end", "acw_end", "t2_enqueue",
                "t2_answer", "t2_end")


class CallBuilder:
    """Rows of observed call attempts with codes for call types, caller ids and agents."""

    def __init__(self, call_types: list[str] | None = None):
        self.log = CallLog(4096)
        self.exit = array("b")
        self.types: dict[str, int] = {name: i for i, name in enumerate(call_types or [])}
        self.callers: dict[str, int] = {}
        self.agents: dict[str, int] = {}
        self._anonymous = 0

    def agent(self, name: str) -> int:
        code = self.agents.get(name)
        if code is None:
            code = self.agents[name] = len(self.agents)
        return code

    def new(self, caller_id: str, call_type: str, arrive: float) -> int:
        """A new attempt arriving at epoch second ``arrive``; returns its row."""
        ctype = self.types.get(call_type)
        if ctype is None:
            ctype = self.types[call_type] = len(self.types)
        key = caller_id.strip()
        if key.lower() in ANONYMOUS:  # no caller id: a caller of its own, never a redial
            self._anonymous += 1
            key = f"\x00anonymous{self._anonymous}"
        caller = self.callers.get(key)
        if caller is None:
            caller = self.callers[key] = len(self.callers)
        row = self.log.new(caller, 0, FIRST, ctype, arrive)
        self.log.enqueue[row] = arrive
        self.log.queued[row] = 1
        self.log.resolved[row] = 1  # neutral: resolution is not in a phone log (see observed.py)
        self.exit.append(EXIT["waiting"])
        return row

    def first_time(self) -> float:
        n = self.log.n
        return float(np.nanmin(np.frombuffer(self.log.arrive, dtype=np.float64, count=n))) if n else math.nan


class SessionTracker:
    """Agent log-in and pause state per queue → logged-in sessions and ready periods (epoch seconds).

    An agent is logged in while a member of at least one queue (ADDMEMBER … REMOVEMEMBER) or logged in as an
    agent (AGENTLOGIN … AGENTLOGOFF); it is *ready* while logged in and not paused — paused means a
    PAUSEALL, or a pause in every queue it is a member of."""

    def __init__(self):
        self.state: dict[int, dict] = {}
        self.sessions: list[tuple[int, float, float]] = []
        self.ready: list[tuple[int, float, float]] = []

    def _get(self, agent: int) -> dict:
        st = self.state.get(agent)
        if st is None:
            st = self.state[agent] = {"queues": set(), "paused": set(), "pause_all": False, "login": False,
                                      "since": None, "ready_since": None}
        return st

    def _update(self, agent: int, st: dict, t: float) -> None:
        logged = st["login"] or bool(st["queues"])
        paused = st["pause_all"] or (bool(st["paused"]) and st["paused"] >= st["queues"])
        ready = logged and not paused
        if logged and st["since"] is None:
            st["since"] = t
        elif not logged and st["since"] is not None:
            self.sessions.append((agent, st["since"], t))
            st["since"] = None
        if ready and st["ready_since"] is None:
            st["ready_since"] = t
        elif not ready and st["ready_since"] is not None:
            self.ready.append((agent, st["ready_since"], t))
            st["ready_since"] = None

    def is_known(self, agent: int) -> bool:
        return agent in self.state

    def add_member(self, agent: int, queue: str, t: float) -> None:
        st = self._get(agent)
        st["queues"].add(queue)
        self._update(agent, st, t)

    def remove_member(self, agent: int, queue: str, t: float) -> None:
        st = self._get(agent)
        st["queues"].discard(queue)
        st["paused"].discard(queue)
        self._update(agent, st, t)

    def login(self, agent: int, t: float, on: bool) -> None:
        st = self._get(agent)
        st["login"] = on
        if not on:
            st["queues"].clear()
            st["paused"].clear()
            st["pause_all"] = False
        self._update(agent, st, t)

    def pause(self, agent: int, queue: str | None, t: float, on: bool) -> None:
        """Pause/unpause in ``queue``, or in all queues when ``queue`` is None."""
        st = self._get(agent)
        if queue is None:
            st["pause_all"] = on
            if not on:
                st["paused"].clear()
        elif on:
            st["paused"].add(queue)
        else:
            st["paused"].discard(queue)
            st["pause_all"] = False
        self._update(agent, st, t)

    def close_all(self, t: float) -> None:
        """End every open session and ready period at ``t`` (the end of the log)."""
        for agent, st in self.state.items():
            if st["since"] is not None:
                self.sessions.append((agent, st["since"], max(t, st["since"])))
                st["since"] = None
            if st["ready_since"] is not None:
                self.ready.append((agent, st["ready_since"], max(t, st["ready_since"])))
                st["ready_since"] = None


def _periods(rows: list[tuple[int, float, float]], t0: float) -> pd.DataFrame:
    a = np.array(rows, dtype=float).reshape(-1, 3)
    keep = a[:, 2] > a[:, 1]
    return pd.DataFrame({"agent": a[keep, 0].astype(np.int64), "start": a[keep, 1] - t0, "end": a[keep, 2] - t0})


def assign_origins(calls: pd.DataFrame, redial_window_s: float, repeat_window_s: float) -> None:
    """Label each attempt first / redial / repeat from the caller's previous attempt (in place; see observed.py)."""
    if calls.empty:
        return
    order = np.lexsort((calls["arrive"].to_numpy(), calls["caller"].to_numpy()))
    caller = calls["caller"].to_numpy()[order]
    arrive = calls["arrive"].to_numpy()[order]
    answered = np.isfinite(calls["answer"].to_numpy()[order])
    same = np.zeros(len(order), dtype=bool)
    same[1:] = caller[1:] == caller[:-1]
    gap = np.full(len(order), np.inf)
    gap[1:] = arrive[1:] - arrive[:-1]
    prev_answered = np.zeros(len(order), dtype=bool)
    prev_answered[1:] = answered[:-1]
    redial = same & ~prev_answered & (gap <= redial_window_s)
    repeat = same & prev_answered & (gap <= repeat_window_s)
    origin = np.where(redial, REDIAL, np.where(repeat, REPEAT, FIRST)).astype(np.int8)
    # attempt: number of consecutive redials ending at this attempt (0 for first attempts and repeats)
    attempt = np.arange(len(order)) - np.maximum.accumulate(np.where(~redial, np.arange(len(order)), 0))
    codes = np.empty(len(order), dtype=np.int8)
    codes[order] = origin
    att = np.empty(len(order), dtype=np.int64)
    att[order] = attempt
    calls["origin"] = pd.Categorical.from_codes(codes, categories=calls["origin"].cat.categories)
    calls["attempt"] = att.astype(calls["attempt"].dtype)


def finish(builder: CallBuilder, sessions: SessionTracker | None, *, tz: str, interval_minutes: int,
           problems: Problems, source: dict, end_epoch: float, ring_cycle_s: float = 6.0,
           redial_window_s: float = 3600.0, repeat_window_s: float = 0.0,
           not_in_log: tuple[str, ...] = ALWAYS_NOT_IN_LOG, notes: list[str] | None = None) -> ObservedLog:
    """Shift to seconds from the first day's midnight in ``tz``, label origins, build the ``ObservedLog``."""
    type_names = list(builder.types) or ["calls"]
    calls = builder.log.frame(type_names)
    if sessions is not None:
        sessions.close_all(end_epoch)
    session_starts = [s for _, s, _ in sessions.sessions] if sessions is not None else []
    first = np.nanmin(np.array([builder.first_time(), *session_starts, end_epoch], dtype=float))
    start = pd.Timestamp(first, unit="s", tz="UTC").tz_convert(tz).normalize()
    t0 = start.timestamp()
    last = end_epoch
    if len(calls):
        last = max(last, float(np.nanmax(calls[list(TIME_COLUMNS)].to_numpy())))
    days = int((last - t0) // 86400.0) + 1
    for col in TIME_COLUMNS:
        calls[col] = calls[col] - t0
    wait = calls["answer"] - calls["enqueue"]
    calls["rings"] = np.where(np.isfinite(wait), np.ceil(wait.clip(lower=0) / ring_cycle_s - 1e-9), 0).astype(
        calls["rings"].dtype)
    assign_origins(calls, redial_window_s, repeat_window_s)
    exit_codes = np.frombuffer(builder.exit, dtype=np.int8, count=len(calls))
    queue_exit = pd.Series(pd.Categorical.from_codes(exit_codes.copy(), categories=list(QUEUE_EXITS)),
                           name="queue_exit")
    agents = list(builder.agents)
    if sessions is not None:
        ready, sess = _periods(sessions.ready, t0), _periods(sessions.sessions, t0)
    else:
        ready = sess = _periods([], t0)
    return ObservedLog(calls=calls, ready=ready, start=start, interval_minutes=interval_minutes, days=days,
                       call_types=type_names, agents=agents, problems=problems, source=source,
                       queue_exit=queue_exit, sessions=sess, not_in_log=tuple(not_in_log), notes=notes or [],
                       redial_window_s=redial_window_s, repeat_window_s=repeat_window_s, end_s=last - t0)
