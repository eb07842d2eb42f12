"""The centre's 23 ACD metrics (../shared/spec/metrics.md), per reporting interval and for the run.

Computed from one replication's event log. Calls belong to the interval in which they arrived; agent time
(ready, busy, logged in, scheduled) is split across intervals by overlap. Run values are ratios of sums over
all reported calls, not means of interval ratios. Times are seconds; rates are fractions (0..1).

Definitions (where the spec leaves room, the choice is stated here and in the report):
- *offered*: attempts that reached the agent queue (not blocked, not completed in the IVR);
- *short abandon*: abandoned after waiting <= ``short_abandon_s``; excluded from the abandonment rate and
  service-level denominators when ``exclude_short_abandons`` (default on);
- *avg_queue_time*: mean wait of the calls that had to queue (no idle agent when they became eligible),
  answered or abandoned; *asa*: mean wait of all answered calls (zero waits included);
- *avg_rings*: over calls picked up by an agent or the IVR, ceil(time to pick-up / ring cycle);
- *occupancy*: busy (talk + hold + ACW + outbound work) / ready time, both accounted by when they happen (a
  call that arrived before the warm-up but is served after it counts after it);
- *adherence*: ready time inside the agent's scheduled ready time / scheduled ready time (<= 100 %); ready
  time outside it (finishing a call after the shift or into a break) is *overtime_hours*, reported apart;
- *calls_per_agent_hour*: handled calls / logged-in agent hours (scheduled time of attending agents
  outside breaks);
- *cost_per_call*: paid agent time (incl. hand-over and paid breaks), lines and fixed cost / calls handled by
  an agent or the IVR (recruiting cost: the attrition model's expected hiring cost, spread over the time);
- *agent_turnover*: the attrition model's expected annual leavers per head (an input, not a measurement),
  with *expected_leavers* and *expected_hiring_cost* over the reported horizon (centre-level: not per interval);
- *fcr*: handled calls with no repeat contact (same caller and call type again, or an agent call-back) within
  ``repeat_window_days``, measured from the call log (``sim.fcr``) — never the simulator's resolution coin;
- *answered_within_rings*: share of calls picked up (agent or IVR) within ``answer_within_rings`` ring cycles;
- *qa_score*: mean score of calls sampled for monitoring (``monitored_per_agent_month`` per agent);
- call-backs (``[callbacks]``, virtual hold): offered, neither answered nor abandoned; their wait until
  acceptance counts in avg_queue_time; the call-back metrics and how they count: ``sim.callbacks_metrics``.

Ratio metrics come with their numerator and denominator (``compute_metric_tables``) so that replications
are pooled as ratio estimators (``sim.confidence``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim import callbacks_metrics as cbm
from sim.confidence import den_col, num_col
from sim.fcr import resolved_first_contact
from sim.model import ModelOutput
from sim.schedule import scheduled_on_phones
from sim.scenario import Scenario
from sim.timeline import time_per_interval

METRICS = (
    "adherence", "avg_acw", "avg_abandon_time", "cost_per_call", "aht", "avg_hold_time", "avg_rings",
    "avg_queue_time", "asa", "avg_talk_time", "calls_per_agent_hour", "qa_score", "occupancy", "abandon_rate",
    "attendance", "blocked_rate", "fcr", "queue_placement_rate", "transfer_rate", "percent_answered",
    "service_level", "total_calls", "agent_turnover",
)
"""The spec's 23 metrics, in the spec's order (snake_case)."""

EXTRA_METRICS = ("answered_within_rings", "overtime_hours", "expected_leavers", "expected_hiring_cost")
"""Reported beside the 23: the front desk's 'answer within N rings' share, ready time outside the schedule
(hours), and the attrition model's expected leavers and hiring cost over the reported horizon."""

CENTRE_LEVEL = ("agent_turnover", "expected_leavers", "expected_hiring_cost")
"""Run-level only: no per-interval copies."""

COUNTS = ("offered", "answered", "abandoned", "short_abandoned", "blocked", "ivr_completed", "handled",
          "outbound_calls", "agents_ready", "avg_queue_length", "outbound_share")
"""Extra per-interval columns for plots and staffing checks: agents_ready = mean agents logged in and ready,
avg_queue_length = time-average number of callers waiting for an agent."""

SECONDS_PER_MONTH = 30.4375 * 86400.0


def _ratio(num, den):
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _sum(idx: np.ndarray, values, mask: np.ndarray, n: int) -> np.ndarray:
    """Per-interval sums of ``values`` over ``mask``; the run total is the sum of the result."""
    values = np.broadcast_to(np.asarray(values, dtype=float), mask.shape)
    return np.bincount(idx[mask], weights=values[mask], minlength=n)[:n]


@dataclass
class MetricTables:
    """One replication's metrics: ``run`` (name -> value), ``intervals`` (one row per reported interval),
    and the numerators/denominators of the ratio metrics for pooling (``run_parts``: name -> (num, den);
    ``interval_parts``: columns ``<metric>:num``, ``<metric>:den`` aligned with ``intervals``)."""

    run: dict
    intervals: pd.DataFrame
    run_parts: dict
    interval_parts: pd.DataFrame


def compute_metrics(out: ModelOutput, sc: Scenario, rng: np.random.Generator,
                    calls: pd.DataFrame | None = None) -> tuple[dict, pd.DataFrame]:
    """(run metrics, per-interval metrics DataFrame) for one replication."""
    tables = compute_metric_tables(out, sc, rng, calls)
    return tables.run, tables.intervals


def _part_of(part, whole):
    """``part`` of ``whole`` (time inside a time): equal by construction when they differ by float rounding of
    the per-interval sums only, so such a hair is removed; a real excess stays visible."""
    part, whole = np.asarray(part, dtype=float), np.asarray(whole, dtype=float)
    return np.where((part > whole) & (part <= whole * (1 + 1e-9) + 1e-6), whole, part)


def _ratio_parts(p: dict) -> dict:
    """name -> (numerator, denominator) of every ratio metric, from per-interval or run sums ``p``."""
    return {
        "adherence": (_part_of(p["ready_in_schedule_s"], p["scheduled_ready_s"]), p["scheduled_ready_s"]),
        "avg_acw": (p["acw"], p["handled"]),
        "avg_abandon_time": (p["wait_abandoned"], p["abandoned"]),
        "cost_per_call": (p["cost"], p["handled"] + p["ivr"]),
        "aht": (p["talk"] + p["hold"] + p["acw"], p["handled"]),
        "avg_hold_time": (p["hold"], p["handled"]),
        "avg_rings": (p["rings"], p["picked"]),
        "avg_queue_time": (p["wait_queued"], p["queued"]),
        "asa": (p["wait_answered"], p["answered"]),
        "avg_talk_time": (p["talk"], p["handled"]),
        "calls_per_agent_hour": (p["handled"], p["logged_in_s"] / 3600.0),
        "qa_score": (p["qa_sum"], p["qa_n"]),
        "occupancy": (_part_of(p["busy_s"], p["ready_s"]), p["ready_s"]),
        "abandon_rate": (p["abandoned"] - p["short"], p["offered"] - p["short"]),
        "attendance": (p["attending"], p["scheduled"]),
        "blocked_rate": (p["blocked"], p["attempts"]),
        "fcr": (p["resolved"], p["handled"]),
        "queue_placement_rate": (p["queued"], p["offered"]),
        "transfer_rate": (p["transferred"], p["handled"]),
        "percent_answered": (p["answered"], p["offered"]),
        "service_level": (p["answered_in_time"], p["offered"] - p["short"]),
        "answered_within_rings": (p["within_rings"], p["picked"]),
        "outbound_share": (_part_of(p["outbound_busy_s"], p["busy_s"]), p["busy_s"]),
    } | (cbm.ratio_parts(p) if "cb_accepted" in p else {})


def compute_metric_tables(out: ModelOutput, sc: Scenario, rng: np.random.Generator,
                          calls: pd.DataFrame | None = None) -> MetricTables:
    """Run and per-interval metrics of one replication, with the parts of the ratio metrics."""
    if calls is None and hasattr(out.calls, "interval_sums"):   # a streaming log (sim.streaming): sums only
        return metric_tables_from_sums(out, sc, rng, out.calls.interval_sums(_callbacks(out)))
    calls = calls if calls is not None else out.calls.frame(sc.type_names())
    tables = metric_tables_from_sums(out, sc, rng, call_interval_sums(calls, sc, _callbacks(out)))
    if sc.callbacks is not None:   # the delay's 90th percentile is no sum: from the rows (never streamed)
        h = sc.horizon
        arrive = np.asarray(calls["arrive"])
        offered = (arrive >= h.warmup_s) & (arrive < h.length_s) & np.isfinite(np.asarray(calls["enqueue"]))
        tables.run.update(cbm.run_only(calls, offered))
        tables.run = {k: tables.run[k] for k in (*METRICS, *EXTRA_METRICS, *COUNTS, *cbm.CALLBACK_METRICS,
                                                 *CENTRE_LEVEL) if k in tables.run}
    return tables


def _codes(values) -> np.ndarray:
    values = values.cat.codes if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype) else values
    return np.asarray(values)


@dataclass
class CallOutcomes:
    """Per call attempt (numpy arrays aligned with the log's rows): the time stamps, whether the attempt is
    reported (arrived inside the reported horizon), offered, answered, abandoned or called back, its wait (s,
    NaN if none) and whether it is a short abandon or answered within the service-level threshold."""

    arrive: np.ndarray
    enqueue: np.ndarray
    answer: np.ndarray
    abandon: np.ndarray
    cb_request: np.ndarray
    report: np.ndarray
    offered: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    called_back: np.ndarray
    wait: np.ndarray
    short: np.ndarray
    in_time: np.ndarray


def call_outcomes(calls, sc: Scenario) -> CallOutcomes:
    """The definitions every call metric starts from (offered, answered, abandoned, short, wait, in time) for
    the attempts ``calls`` (a DataFrame or a mapping of numpy columns) — used for the run and interval metrics
    and for the per-type and per-group breakdown (``sim.group_metrics``)."""
    h, opts = sc.horizon, sc.metrics
    col = lambda name: np.asarray(calls[name])  # noqa: E731
    arrive, enqueue, answer, abandon = col("arrive"), col("enqueue"), col("answer"), col("abandon")
    report = (arrive >= h.warmup_s) & (arrive < h.length_s)
    offered = report & np.isfinite(enqueue)
    answered = offered & np.isfinite(answer)
    abandoned = offered & np.isfinite(abandon)
    # Waits are differences of time stamps; rounded to the microsecond so that float round-off (up to ~1e-7 s
    # on a 10-year horizon) cannot move a wait of exactly the SL threshold or short-abandon limit across it.
    cb_request = col("cb_request") if "cb_request" in calls else np.full(len(arrive), np.nan)
    called_back = offered & np.isfinite(cb_request)   # left the queue for a call-back: waited until accepting
    wait = np.round(np.where(answered, answer - enqueue, np.where(
        abandoned, abandon - enqueue, np.where(called_back, cb_request - enqueue, np.nan))), 6)
    short = abandoned & (wait <= opts.short_abandon_s) if opts.exclude_short_abandons else np.zeros_like(offered)
    in_time = answered & (wait <= opts.service_level_threshold_s)
    return CallOutcomes(arrive, enqueue, answer, abandon, cb_request, report, offered, answered, abandoned,
                        called_back, wait, short, in_time)


def call_interval_sums(calls, sc: Scenario, callbacks: pd.DataFrame | None = None,
                       resolved: np.ndarray | None = None) -> dict:
    """Per-interval sums over the call attempts ``calls`` (a DataFrame, or a mapping of numpy columns with
    numeric codes): counts, waits, talk/hold/ACW, rings, resolved (FCR, from the rows themselves unless
    ``resolved`` — per row — is given), and seconds of agent busy time (``busy_calls_s``) and of callers
    waiting (``waiting_s``) by when they happen. Additive: the sums over parts of a log add up to the sums
    over the whole log (``sim.streaming`` folds finished calls in batches)."""
    h, opts = sc.horizon, sc.metrics
    I, n = float(h.interval_s), h.n_intervals
    col = lambda name: np.asarray(calls[name])  # noqa: E731
    o = call_outcomes(calls, sc)
    arrive, report, offered, answered, abandoned = o.arrive, o.report, o.offered, o.answered, o.abandoned
    enqueue, answer, abandon, cb_request = o.enqueue, o.answer, o.abandon, o.cb_request
    called_back, wait, short = o.called_back, o.wait, o.short
    idx = np.where(report, np.floor(arrive / I), 0).astype(np.int64)
    outcome = _codes(calls["outcome"])
    served = np.isfinite(answer) & np.isfinite(col("acw_end"))   # any arrival time
    handled = answered & served
    talk, hold, acw = (col(c) for c in ("talk", "hold", "acw"))
    rings = col("rings").astype(float)
    picked = report & (np.isfinite(col("ivr_end")) | np.isfinite(answer))
    queued = offered & col("queued").astype(bool) & (answered | abandoned | called_back)
    blocked = report & (outcome == 1)
    ivr_done = report & (outcome == 2)
    if resolved is None:
        resolved = resolved_first_contact(calls, handled, opts.repeat_window_days * 86400.0, callbacks)

    s = lambda values, mask: _sum(idx, values, mask, n)  # noqa: E731
    c = lambda mask: _sum(idx, 1.0, mask, n)  # noqa: E731
    per = {
        "attempts": c(report), "offered": c(offered), "answered": c(answered), "abandoned": c(abandoned),
        "short": c(short), "handled": c(handled), "blocked": c(blocked), "ivr": c(ivr_done),
        "queued": c(queued), "picked": c(picked), "within_rings": c(picked & (rings <= opts.answer_within_rings)),
        "answered_in_time": c(o.in_time),
        "wait_answered": s(wait, answered), "wait_abandoned": s(wait, abandoned), "wait_queued": s(wait, queued),
        "talk": s(talk, handled), "hold": s(hold, handled), "acw": s(acw, handled), "rings": s(rings, picked),
        "resolved": c(resolved),
        "transferred": c(handled & col("transferred").astype(bool)),
    }
    if sc.callbacks is not None:
        per.update(cbm.interval_sums(calls, offered, sc.callbacks.deadline_s, s, c))
    lo = h.warmup_s
    clip = lambda a: np.clip(a, lo, h.length_s)  # noqa: E731 - only time inside the reported horizon
    per["busy_calls_s"] = time_per_interval(clip(answer[served]), clip(col("acw_end")[served]), I, n)
    wait_end = np.where(np.isfinite(answer), answer, np.where(
        np.isfinite(abandon), abandon, np.where(np.isfinite(cb_request), cb_request, h.length_s)))
    per["waiting_s"] = time_per_interval(clip(enqueue), clip(wait_end), I, n)
    return per


def metric_tables_from_sums(out: ModelOutput, sc: Scenario, rng: np.random.Generator, per: dict) -> MetricTables:
    """The metric tables from the per-interval call sums (``call_interval_sums``) and the agent logs."""
    h = sc.horizon
    I, n = float(h.interval_s), h.n_intervals
    per = dict(per)
    per.update(_agent_time(out, sc, per.pop("busy_calls_s")))
    centre = _centre_models(out, sc, rng, per["handled"])
    per.update(qa_n=centre["qa_n"], qa_sum=centre["qa_sum"])
    per["cost"] = per["cost"] + centre["recruit"]

    def metrics_from(p: dict) -> tuple[dict, dict]:
        span = I if np.ndim(p["ready_s"]) else h.length_s - h.warmup_s
        parts = _ratio_parts(p)
        values = {name: _ratio(num, den) for name, (num, den) in parts.items() if name != "outbound_share"}
        values |= {
            "total_calls": np.asarray(p["attempts"], dtype=float),
            "overtime_hours": np.maximum(p["ready_s"] - p["ready_in_schedule_s"], 0.0) / 3600.0,
            "offered": p["offered"], "answered": p["answered"], "abandoned": p["abandoned"],
            "short_abandoned": p["short"], "blocked": p["blocked"], "ivr_completed": p["ivr"],
            "handled": p["handled"], "outbound_calls": p["outbound_n"],
            "agents_ready": p["ready_s"] / span,
            "avg_queue_length": p["waiting_s"] / span,
            "outbound_share": _ratio(*parts["outbound_share"]),
        } | (cbm.counts(p) if "cb_accepted" in p else {})
        return values, parts

    values, parts = metrics_from(per)
    order = [m for m in (*METRICS, *EXTRA_METRICS, *COUNTS, *cbm.CALLBACK_METRICS) if m in values]
    intervals = pd.DataFrame({m: values[m] for m in order})
    interval_parts = pd.DataFrame({col: np.asarray(part, dtype=float) for m, (num, den) in parts.items()
                                   for col, part in ((num_col(m), num), (den_col(m), den))})
    for frame in (intervals, interval_parts):
        frame.insert(0, "interval_start_s", np.arange(n) * I)
        frame.insert(0, "interval", np.arange(n))
    keep = (intervals["interval_start_s"] + I > h.warmup_s).to_numpy()
    intervals = intervals[keep].reset_index(drop=True)
    interval_parts = interval_parts[keep].reset_index(drop=True)
    totals = {k: float(np.sum(v)) for k, v in per.items()}
    run_values, run_parts = metrics_from(totals)
    run = {k: float(run_values[k]) for k in order}
    run |= {k: centre[k] for k in CENTRE_LEVEL}
    run = {k: run[k] for k in (*METRICS, *EXTRA_METRICS, *COUNTS, *cbm.CALLBACK_METRICS) if k in run}
    run_parts = {k: (float(num), float(den)) for k, (num, den) in run_parts.items()}
    return MetricTables(run, intervals, run_parts, interval_parts)


def _callbacks(out: ModelOutput) -> pd.DataFrame:
    """Agent call-backs of the outbound log (kind 'callback'): caller and start time (s)."""
    rows = [(r[6], r[3]) for r in out.outbound.rows if r[0] == "callback" and len(r) > 6 and r[6] is not None]
    return pd.DataFrame(rows, columns=["caller", "start"])


def _ready_within_schedule(ready: pd.DataFrame, instances) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) pieces of ready time that fall inside the same agent's scheduled ready time (shift minus
    breaks). Agent ``k`` of the ready log is the k-th attending shift instance (the model's numbering)."""
    segments = [(k, a, b) for k, inst in enumerate(i for i in instances if not i.absent)
                for a, b in inst.ready_segments()]
    if ready.empty or not segments:
        return np.zeros(0), np.zeros(0)
    sched = pd.DataFrame(segments, columns=["agent", "seg_start", "seg_end"])
    both = ready.merge(sched, on="agent", how="inner")
    start = np.maximum(both["start"].to_numpy(float), both["seg_start"].to_numpy(float))
    end = np.minimum(both["end"].to_numpy(float), both["seg_end"].to_numpy(float))
    keep = end > start
    return start[keep], end[keep]


def _agent_time(out: ModelOutput, sc: Scenario, busy_calls: np.ndarray) -> dict:
    """Per-interval agent seconds: ready (all, and inside the schedule), busy (``busy_calls``: seconds on calls
    per interval, from ``call_interval_sums``; plus outbound work), logged in, scheduled ready; attendance
    counts; cost. Time counts in the interval where it happens."""
    h = sc.horizon
    I, n = float(h.interval_s), h.n_intervals
    lo = h.warmup_s
    clip = lambda a: np.clip(a, lo, h.length_s)  # noqa: E731 - only time inside the reported horizon
    ready = out.ready.frame()
    ready_s = time_per_interval(clip(ready["start"]), clip(ready["end"]), I, n)
    in_start, in_end = _ready_within_schedule(ready, out.instances)
    ready_in_schedule = time_per_interval(clip(in_start), clip(in_end), I, n)
    ob = np.array([(r[3], r[4]) for r in out.outbound.rows], dtype=float).reshape(-1, 2)
    outbound_busy = time_per_interval(clip(ob[:, 0]), clip(ob[:, 1]), I, n)
    outbound_n = np.bincount(np.floor(ob[:, 0] / I).astype(int)[(ob[:, 0] >= lo) & (ob[:, 0] < h.length_s)],
                             minlength=n)[:n].astype(float)

    paid_starts, paid_ends, paid_rate = [], [], []
    scheduled = np.zeros(n)
    attending = np.zeros(n)
    rates = {"agent": sc.costs.agent_hourly, "night_duty": sc.costs.night_duty_hourly}
    handover = sc.agents.handover_minutes * 60.0
    for inst in out.instances:
        k = min(int(inst.start // I), n - 1)
        scheduled[k] += 1
        if inst.absent:
            continue
        attending[k] += 1
        rate = rates[inst.role]
        t_paid = inst.start - handover  # paid: hand-over and the shift, less unpaid breaks
        for b_start, b_len, b_paid in inst.breaks:
            if not b_paid:
                paid_starts.append(t_paid)
                paid_ends.append(b_start)
                paid_rate.append(rate)
                t_paid = b_start + b_len
        paid_starts.append(t_paid)
        paid_ends.append(inst.end)
        paid_rate.append(rate)
    logged_in = scheduled_on_phones(out.instances, I, n, window=(lo, h.length_s))
    paid_starts, paid_ends, paid_rate = (np.asarray(x, dtype=float) for x in (paid_starts, paid_ends, paid_rate))
    agent_cost = np.zeros(n)
    for rate in np.unique(paid_rate):
        sel = paid_rate == rate
        agent_cost += rate / 3600.0 * time_per_interval(clip(paid_starts[sel]), clip(paid_ends[sel]), I, n)
    lines = sc.telephony.trunks or 0
    daily = sc.costs.fixed_daily + sc.costs.line_daily * lines
    tier2 = sc.costs.tier2_hourly * sc.transfers.tier2_agents
    cost = agent_cost + (daily / 86400.0 + tier2 / 3600.0) * I
    cost[: int(lo // I)] = 0.0
    return {"ready_s": ready_s, "ready_in_schedule_s": ready_in_schedule, "busy_s": busy_calls + outbound_busy,
            "outbound_busy_s": outbound_busy,
            "outbound_n": outbound_n, "logged_in_s": logged_in, "scheduled_ready_s": logged_in + 0.0,
            "scheduled": scheduled, "attending": attending, "cost": cost}


def _centre_models(out: ModelOutput, sc: Scenario, rng: np.random.Generator, handled: np.ndarray) -> dict:
    """QA monitoring sample and attrition (centre-level models, metrics 12 and 23)."""
    n = sc.horizon.n_intervals
    months = (sc.horizon.length_s - sc.horizon.warmup_s) / SECONDS_PER_MONTH
    agents = _heads(out, sc)
    # QA: each handled call is monitored with the probability that gives the monthly quota per agent.
    total_handled = float(handled.sum())
    p = min(1.0, sc.quality.monitored_per_agent_month * agents * months / total_handled) if total_handled else 0.0
    qa_n = rng.binomial(handled.astype(np.int64), p)
    mean, sd = sc.quality.score_mean / 100.0, sc.quality.score_sd / 100.0
    if sd > 0:
        common = mean * (1 - mean) / sd**2 - 1.0
        a, b = mean * common, (1 - mean) * common
        scores = np.array([rng.beta(a, b, k).sum() * 100.0 if k else 0.0 for k in qa_n.tolist()])
    else:
        scores = qa_n * sc.quality.score_mean
    # Attrition: the model's expectation (a one-week binomial draw annualised would say 0 % or ~650 %/yr).
    years = months / 12.0
    leavers = agents * (1.0 - np.exp(-sc.attrition.annual_rate * years))
    hiring = leavers * sc.attrition.recruit_cost
    h = sc.horizon
    share = time_per_interval(np.array([h.warmup_s]), np.array([h.length_s]), float(h.interval_s), n)
    recruit = hiring * share / max(h.length_s - h.warmup_s, 1e-9)   # spread over the reported time
    return {"qa_n": qa_n.astype(float), "qa_sum": scores, "recruit": recruit,
            "agent_turnover": float(sc.attrition.annual_rate), "expected_leavers": float(leavers),
            "expected_hiring_cost": float(hiring)}


def _heads(out: ModelOutput, sc: Scenario) -> int:
    """Full-time equivalent heads: paid agent hours over the horizon / 40 h per week."""
    hours = sum(min(inst.end, sc.horizon.length_s) - inst.start for inst in out.instances) / 3600.0
    weeks = sc.horizon.length_s / (7 * 86400.0)
    return max(1, int(round(hours / (40.0 * weeks))))
