"""An observed history: a centre's own calls and agent sessions in the simulator's call-log format.

Readers (``sim.history.read_queue_log``, ``read_cdr``) turn phone-system exports into an ``ObservedLog``.
Its ``calls`` frame has exactly the columns of ``sim.calllog.CallLog.frame()`` — one row per queue attempt,
times in seconds from ``start`` (midnight of the first day in the log's time zone), NaN = did not happen —
so the metrics, interval tables, reports and calibration read observed and simulated calls the same way.

How observed calls fill the columns (the readers document what their format supplies):

- ``arrive`` = ``enqueue`` = the caller entered the queue (no IVR is observed: ``ivr_end`` NaN);
  ``answer`` = an agent connected; ``abandon`` = the caller left the queue unanswered, for whatever reason
  (hang-up, exit key, queue timeout, queue empty, lost at a PBX restart); ``queue_exit`` tells which,
  because only a hang-up or an exit key is an observed *patience* (the others are right-censored waits,
  see ``patience_observations``).
- ``talk_end`` = the call with the agent ended (completed or transferred); ``talk`` = conversation time,
  ``hold`` / ``acw`` as far as the format records them (else 0, or the reader's ``acw_s`` option, and the
  metric is listed in ``not_in_log``); ``acw_end`` = ``talk_end + acw``.
- ``outcome``: handled (talk ended), abandoned, or in_system (still waiting or talking when the log ends —
  the same meaning as in a simulated run). ``queued`` is True for every observed call (an exact
  no-wait/had-to-wait split needs agent states the logs do not give, so queue placement and average queue
  time are listed in ``not_in_log``); ``rings`` = ceil(wait / ring cycle), the simulator's definition for
  calls without an IVR (avg_rings is still listed in ``not_in_log``: real rings start before the queue).
- ``caller``: a code per caller id (anonymous callers each get their own code); ``origin``: "redial" when the
  same caller id had an **unanswered** attempt that arrived at most ``redial_window_s`` (default 3600 s)
  earlier; "repeat" when it had an **answered** attempt at most ``repeat_window_s`` earlier (default 0 = off,
  so answered-then-call-again counts as a new first attempt); else "first". ``attempt`` counts consecutive
  redials (0 for a first attempt), as in the model.
- ``resolved`` is not in any phone log: it is set to True (neutral) and never read by the metrics: FCR is
  measured from behaviour (``sim.fcr``: repeat calls of the same caller id about the same call type within
  the repeat window), the same rule as for simulated logs.

``ready`` holds (agent, start, end) periods in which an agent was logged in and not paused; ``sessions`` the
logged-in periods (pauses included). Metrics go through ``sim.metrics.compute_metrics`` — the code that
measures simulated runs — with an observed ``ModelOutput`` (``model_output()``); metrics that a log cannot
measure (QA score, turnover, cost, …) are set to NaN rather than reported from configured values.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calllog import ORIGINS, OUTCOMES, PeriodLog
from sim.timeline import time_per_interval

QUEUE_EXITS = ("answered", "abandon", "exitwithkey", "timeout", "empty", "lost", "waiting")
"""Why a call left the queue: answered; the caller hung up (abandon) or pressed an exit key (exitwithkey) —
both observed patience; the queue's timeout, the queue having no agents (empty), the log losing the call
(lost: a PBX restart, or the call entering a queue again without leaving the first) —
the system ended the wait; or still waiting when the log ends (waiting)."""
PATIENCE_EVENTS = ("abandon", "exitwithkey")
"""Exits that end a wait because the caller chose to: uncensored patience observations."""

ALWAYS_NOT_IN_LOG = ("qa_score", "agent_turnover", "cost_per_call", "adherence", "attendance",
                     "blocked_rate", "avg_rings", "queue_placement_rate", "avg_queue_time")
"""Metrics no call log measures: QA, turnover and cost come from configured centre models; adherence and
attendance need a schedule to compare with;
busy signals and rings happen before the queue; whether a caller found an idle agent (queue placement, and
the wait of those who did not) needs agent states the logs do not give."""


@dataclass
class Problems:
    """Malformed input: how many lines, and the first 10 as (file, line number, reason, text)."""

    count: int = 0
    lines_read: int = 0
    first: list[tuple[str, int, str, str]] = field(default_factory=list)

    def add(self, file: str, line_no: int, reason: str, text: str) -> None:
        self.count += 1
        if len(self.first) < 10:
            self.first.append((file, line_no, reason, text[:200]))

    def to_dict(self) -> dict:
        return {"count": self.count, "lines_read": self.lines_read,
                "first": [{"file": f, "line": n, "reason": r, "text": t} for f, n, r, t in self.first]}

    def summary(self) -> str:
        if not self.count:
            return "no malformed lines"
        shown = "; ".join(f"{Path(f).name}:{n}: {r}" for f, n, r, _ in self.first)
        return f"{self.count} malformed line(s) of {self.lines_read} (first {len(self.first)}: {shown})"


class HistoryError(ValueError):
    """A history file that cannot be read: one message naming the file and the expected format."""


@dataclass
class ObservedLog:
    """Observed calls (``calls``: the simulator's call-log schema) and agent time of a centre's history."""

    calls: pd.DataFrame
    ready: pd.DataFrame
    start: pd.Timestamp
    interval_minutes: int
    days: int
    call_types: list[str]
    agents: list[str]
    problems: Problems
    source: dict
    queue_exit: pd.Series
    sessions: pd.DataFrame
    not_in_log: tuple[str, ...] = ALWAYS_NOT_IN_LOG
    notes: list[str] = field(default_factory=list)
    redial_window_s: float = 3600.0
    repeat_window_s: float = 0.0
    end_s: float | None = None
    """Time of the log's last event, seconds from ``start`` (None: the end of the last day)."""

    # ------------------------------------------------------------------ grid
    @property
    def interval_s(self) -> int:
        return self.interval_minutes * 60

    @property
    def n_intervals(self) -> int:
        return self.days * (1440 // self.interval_minutes)

    @property
    def length_s(self) -> float:
        return self.days * 86400.0

    def interval_index(self) -> pd.DatetimeIndex:
        """Tz-aware start of every reporting interval of the observed period."""
        return pd.date_range(self.start, periods=self.n_intervals, freq=f"{self.interval_minutes}min",
                             name="interval_start")

    # ------------------------------------------------------------------ per interval
    def staffing_per_interval(self) -> pd.Series:
        """Mean agents logged in and not paused per interval (agent-seconds ready / interval length)."""
        r = self.ready
        secs = time_per_interval(r["start"].to_numpy(), r["end"].to_numpy(), self.interval_s, self.n_intervals)
        return pd.Series(secs / self.interval_s, index=self.interval_index(), name="agents_ready")

    def logged_in_per_interval(self) -> pd.Series:
        """Mean agents logged in (paused or not) per interval."""
        s = self.sessions
        secs = time_per_interval(s["start"].to_numpy(), s["end"].to_numpy(), self.interval_s, self.n_intervals)
        return pd.Series(secs / self.interval_s, index=self.interval_index(), name="agents_logged_in")

    def interval_volumes(self, kind: str = "first", by_type: bool = False) -> pd.Series | pd.DataFrame:
        """Calls per interval by arrival time: ``kind`` "first" (first attempts: what a forecast and the
        scenario's arrivals mean) or "offered" (every attempt that reached the queue). A Series indexed by
        tz-aware interval start, or with ``by_type`` a DataFrame with one column per call type."""
        if kind not in ("first", "offered"):
            raise ValueError(f"kind must be 'first' or 'offered', got {kind!r}")
        c = self.calls
        sel = (c["origin"] == "first").to_numpy() if kind == "first" else np.isfinite(c["enqueue"].to_numpy())
        k = np.floor(c["arrive"].to_numpy()[sel] / self.interval_s).astype(np.int64)
        index = self.interval_index()
        if not by_type:
            return pd.Series(np.bincount(k, minlength=self.n_intervals)[:self.n_intervals], index=index, name="calls")
        codes = c["call_type"].cat.codes.to_numpy()[sel]
        data = {name: np.bincount(k[codes == j], minlength=self.n_intervals)[:self.n_intervals]
                for j, name in enumerate(self.call_types)}
        return pd.DataFrame(data, index=index)

    def patience_observations(self) -> pd.DataFrame:
        """Waits of every queued call with whether the wait ended by the caller's choice (``abandoned`` True:
        an observed patience) or was right-censored (answered, timed out, queue empty, lost, still waiting at
        the end of the log: patience was at least ``wait_s``). Columns call_type, wait_s, abandoned, exit."""
        c = self.calls
        enq = c["enqueue"].to_numpy()
        end = np.fmin(c["answer"].to_numpy(), c["abandon"].to_numpy())
        exit_ = self.queue_exit.to_numpy()
        end = np.where(exit_ == "waiting", self.length_s if self.end_s is None else self.end_s, end)
        keep = np.isfinite(enq) & np.isfinite(end)
        return pd.DataFrame({"call_type": c["call_type"][keep].to_numpy(), "wait_s": (end - enq)[keep],
                             "abandoned": np.isin(exit_[keep], PATIENCE_EVENTS), "exit": exit_[keep]})

    # ------------------------------------------------------------------ scenario and metrics
    def to_scenario_dict(self, metrics: dict | None = None, name: str | None = None) -> dict:
        """A minimal scenario of the observed period: horizon with the real start date, first attempts per
        interval, call-type shares of first attempts, observed staffing (rounded) as headcount per interval.
        Talk is the observed mean with a placeholder (exponential) family: ``acdsim calibrate`` fits these."""
        c = self.calls
        first = c[c["origin"] == "first"]
        counts = first["call_type"].value_counts().reindex(self.call_types, fill_value=0).to_numpy(dtype=float)
        shares = counts / counts.sum() if counts.sum() else np.full(len(self.call_types), 1 / len(self.call_types))
        handled = c[c["outcome"] == "handled"]
        types = {}
        for j, ct in enumerate(self.call_types):
            talk = handled.loc[handled["call_type"] == ct, "talk"]
            mean = float(talk.mean()) if len(talk) and talk.mean() > 0 else 1.0
            types[ct] = {"share": float(shares[j]), "talk": {"family": "exponential", "mean": mean}}
        fix = float(1.0 - sum(t["share"] for t in types.values()))  # rounding: shares must sum to exactly 1
        types[self.call_types[-1]]["share"] += fix
        staff = np.rint(self.staffing_per_interval().to_numpy()).astype(int).tolist()
        files = ", ".join(Path(f).name for f in self.source.get("files", []))
        return {
            "name": name or f"observed {self.start.date()}",
            "description": f"history imported from {files} ({self.source.get('format')}); distributions are "
                           "placeholders (observed means) — fit them with acdsim calibrate",
            "replications": 1,
            "horizon": {"days": self.days, "interval_minutes": self.interval_minutes,
                        "start_date": self.start.date().isoformat()},
            "arrivals": {"calls_per_interval": self.interval_volumes("first").astype(float).tolist()},
            "call_types": types,
            "agents": {"headcount_per_interval": staff},
            **({"metrics": metrics} if metrics else {}),
        }

    def scenario(self, metrics: dict | None = None):
        """The validated minimal scenario (``to_scenario_dict``)."""
        from sim.scenario import validate_scenario

        return validate_scenario(self.to_scenario_dict(metrics), source="observed history")

    def model_output(self):
        """The observed log as a ``sim.model.ModelOutput``: ready periods, no outbound work, and one attending
        'shift instance' per logged-in session with its pauses as not-ready episodes."""
        from sim.agents import OutboundLog
        from sim.model import ModelOutput
        from sim.schedule import ShiftInstance

        ready = PeriodLog()
        for a, s, e in self.ready[["agent", "start", "end"]].itertuples(index=False):
            ready.add(int(a), float(s), float(e))
        instances = []
        by_agent = {a: g[["start", "end"]].to_numpy() for a, g in self.ready.sort_values("start").groupby("agent")}
        for a, s, e in self.sessions[["agent", "start", "end"]].itertuples(index=False):
            periods = by_agent.get(a, np.empty((0, 2)))
            aux, t = [], s
            for rs, re_ in periods[(periods[:, 1] > s) & (periods[:, 0] < e)].tolist():
                if rs > t:
                    aux.append((t, rs - t))
                t = max(t, re_)
            if t < e:
                aux.append((t, e - t))
            instances.append(ShiftInstance("agent", float(s), float(e), [], False, aux))
        return ModelOutput(None, ready, OutboundLog(), instances, ["agent"] * len(self.agents))

    def compute_metrics(self, metrics: dict | None = None) -> tuple[dict, pd.DataFrame]:
        """(run metrics, per-interval metrics) through ``sim.metrics.compute_metrics`` — the simulator's
        code path — with the metrics in ``not_in_log`` set to NaN. ``metrics``: the scenario's [metrics]
        options (service-level threshold, short abandons)."""
        from sim.metrics import compute_metrics

        sc = self.scenario(metrics)
        run, intervals = compute_metrics(self.model_output(), sc, np.random.default_rng(0), calls=self.calls)
        for m in self.not_in_log:
            run[m] = math.nan
            if m in intervals:
                intervals[m] = np.nan
        return run, intervals

    def results(self, metrics: dict | None = None):
        """A ``sim.Results`` holding the history as its one 'replication' (no CIs: one observed value)."""
        from sim.results import Results
        from sim.runner import Replication

        sc = self.scenario(metrics)
        run, intervals = self.compute_metrics(metrics)
        rep = Replication(0, run, intervals, self.calls, self.ready,
                          pd.DataFrame(columns=["kind", "ready", "due", "start", "end", "agent"]), {})
        return Results.from_replications(sc, 0, [rep])

    def info(self) -> dict:
        """What was read: source, period, counts, problems, notes, metrics the log cannot give."""
        c = self.calls
        return {"source": self.source, "start": self.start.isoformat(), "tz": str(self.start.tz),
                "days": self.days, "end_s": self.end_s, "interval_minutes": self.interval_minutes, "calls": int(len(c)),
                "call_types": self.call_types, "agents": len(self.agents),
                "queue_exit": {k: int(v) for k, v in self.queue_exit.value_counts().items()},
                "origin": {k: int(v) for k, v in c["origin"].value_counts().items()},
                "redial_window_s": self.redial_window_s, "repeat_window_s": self.repeat_window_s,
                "problems": self.problems.to_dict(), "not_in_log": list(self.not_in_log), "notes": self.notes}

    def save(self, out_dir: str | Path, metrics: dict | None = None) -> Path:
        """Write what ``acdsim run --out`` writes (summary.json, scenario.json, intervals.csv,
        interval_summary.csv, calls.csv.gz) plus staffing.csv, volumes.csv and observed.json."""
        out = Path(out_dir)
        res = self.results(metrics)
        res.save(out)
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        summary["observed"] = self.info()
        (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        index = self.interval_index()
        pd.DataFrame({"interval_start": index.map(pd.Timestamp.isoformat),
                      "agents_ready": self.staffing_per_interval().to_numpy(),
                      "agents_logged_in": self.logged_in_per_interval().to_numpy()}).to_csv(
            out / "staffing.csv", index=False)
        vol = self.interval_volumes("first", by_type=True)
        pd.DataFrame({"interval_start": index.map(pd.Timestamp.isoformat), "calls": vol.sum(axis=1).to_numpy(),
                      "offered": self.interval_volumes("offered").to_numpy(),
                      **{f"calls_{k}": vol[k].to_numpy() for k in vol.columns}}).to_csv(out / "volumes.csv",
                                                                                       index=False)
        (out / "observed.json").write_text(json.dumps(self.info(), indent=2), encoding="utf-8")
        return out


def empty_calls(type_names: list[str]) -> pd.DataFrame:
    """A call frame with the call-log schema and no rows."""
    from sim.calllog import CallLog

    return CallLog(16).frame(type_names)


__all__ = ["ALWAYS_NOT_IN_LOG", "HistoryError", "ObservedLog", "OUTCOMES", "ORIGINS", "PATIENCE_EVENTS",
           "Problems", "QUEUE_EXITS", "empty_calls"]
