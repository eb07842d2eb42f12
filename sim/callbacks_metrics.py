"""Call-back (virtual hold) metrics: how many callers took a call-back, how long they waited for it, success.

Computed from the call log's ``cb_*`` columns (``sim.calllog``) inside ``sim.metrics.compute_metric_tables``,
only for scenarios with ``[callbacks]``. Like every call metric, a call-back belongs to the interval in which
its call attempt arrived, and only reported attempts (arrived after the warm-up) count. Seconds; shares 0..1.

Definitions:
- *callback_share*: offered calls whose caller accepted a call-back ÷ offered calls;
- *callback_accept_rate*: accepted ÷ offered calls that were offered a call-back;
- *callback_success*: accepted call-backs that reached the resident (connected) ÷ accepted (still pending
  when the run ends counts as not connected);
- *callback_within_deadline*: accepted call-backs connected within ``deadline_s`` of the request ÷ accepted;
- *callback_delay*: mean time from the request (the caller accepted and hung up) to the connected call-back,
  over connected call-backs; *callback_delay_p90*: its 90th percentile (per replication, run level only; the
  estimate is the mean over replications);
- *callback_attempts*: dial attempts ÷ accepted call-backs;
- counts *callbacks_offered*, *callbacks_accepted*, *callbacks_connected*.

How a call-back counts in the 23 metrics: the attempt was *offered* (it reached the queue); it is neither
answered nor abandoned, so it lowers the abandonment rate, and it counts as **not answered in time** in the
service level and percent answered (their denominators keep it); ASA stays the wait of inbound calls answered
by an agent; its queue wait (enqueue → acceptance) counts in average queue time and queue length; the
agents' call-back work counts in occupancy and outbound calls (``outbound_share``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

CALLBACK_METRICS = ("callback_share", "callback_accept_rate", "callback_success", "callback_within_deadline",
                    "callback_delay", "callback_delay_p90", "callback_attempts", "callbacks_offered",
                    "callbacks_accepted", "callbacks_connected")
"""Reported (summary.json, CLI run table, report) when the scenario has ``[callbacks]``."""

RUN_ONLY = ("callback_delay_p90",)

CALLBACK_GROUP = {"callbacks": ("Call-backs (virtual hold)", "回呼（虚拟排队）")}
CALLBACK_LABELS = {   # metric: (group, unit, scale, English name, Chinese name, English description)
    "callback_share": ("callbacks", "%", 100, "Call-back share", "回呼占比",
                       "offered calls that accepted a call-back ÷ offered"),
    "callback_accept_rate": ("callbacks", "%", 100, "Call-back acceptance", "回呼接受率",
                             "accepted ÷ calls offered a call-back"),
    "callback_success": ("callbacks", "%", 100, "Call-back success", "回呼接通率",
                         "call-backs that reached the resident ÷ accepted"),
    "callback_within_deadline": ("callbacks", "%", 100, "Call-backs within deadline", "时限内回呼率",
                                 "connected within deadline_s of the request ÷ accepted"),
    "callback_delay": ("callbacks", "s", 1, "Call-back delay", "回呼等待时间",
                       "request → connected call-back, mean over connected"),
    "callback_delay_p90": ("callbacks", "s", 1, "Call-back delay (90th pct)", "回呼等待时间（90分位）",
                           "90th percentile of request → connected (mean over replications)"),
    "callback_attempts": ("callbacks", "dials", 1, "Dial attempts per call-back", "每次回呼拨号次数",
                          "dial attempts ÷ accepted call-backs"),
    "callbacks_offered": ("callbacks", "calls", 1, "Call-backs offered", "提供回呼", "calls offered a call-back"),
    "callbacks_accepted": ("callbacks", "calls", 1, "Call-backs accepted", "接受回呼", "callers who accepted"),
    "callbacks_connected": ("callbacks", "calls", 1, "Call-backs connected", "回呼接通", "call-backs that reached "
                                                                                      "the resident"),
}

DEFINITION = ("a call-back (virtual hold) is offered but neither answered nor abandoned: it lowers the abandonment "
              "rate and counts as not answered in time in service level and percent answered; ASA is over calls "
              "answered by an agent; its wait until acceptance counts in average queue time. callback_delay: "
              "request -> resident reached, over connected call-backs; callback_success and "
              "callback_within_deadline: over accepted call-backs (pending at the end = not connected)")


def accepted_mask(calls: pd.DataFrame, offered: np.ndarray) -> np.ndarray:
    """Offered attempts whose caller accepted a call-back."""
    return offered & np.isfinite(np.asarray(calls["cb_request"]))


def interval_sums(calls: pd.DataFrame, offered: np.ndarray, deadline_s: float, s, c) -> dict:
    """Per-interval sums behind the call-back metrics (``s(values, mask)``, ``c(mask)``: the caller's sums)."""
    request = np.asarray(calls["cb_request"])
    connect = np.asarray(calls["cb_connect"])
    accepted = accepted_mask(calls, offered)
    connected = accepted & np.isfinite(connect)
    delay = np.round(connect - request, 6)   # microseconds: round-off cannot cross the deadline
    return {"cb_offered": c(offered & np.asarray(calls["cb_offered"]).astype(bool)), "cb_accepted": c(accepted),
            "cb_connected": c(connected), "cb_in_deadline": c(connected & (delay <= deadline_s)),
            "cb_delay": s(delay, connected), "cb_attempts": s(np.asarray(calls["cb_attempts"]), accepted)}


def ratio_parts(p: dict) -> dict:
    """name -> (numerator, denominator) of the call-back ratio metrics, from per-interval or run sums ``p``."""
    return {"callback_share": (p["cb_accepted"], p["offered"]),
            "callback_accept_rate": (p["cb_accepted"], p["cb_offered"]),
            "callback_success": (p["cb_connected"], p["cb_accepted"]),
            "callback_within_deadline": (p["cb_in_deadline"], p["cb_accepted"]),
            "callback_delay": (p["cb_delay"], p["cb_connected"]),
            "callback_attempts": (p["cb_attempts"], p["cb_accepted"])}


def counts(p: dict) -> dict:
    return {"callbacks_offered": p["cb_offered"], "callbacks_accepted": p["cb_accepted"],
            "callbacks_connected": p["cb_connected"]}


def run_only(calls: pd.DataFrame, offered: np.ndarray) -> dict:
    """Run-level call-back metrics that are no ratio of sums (90th percentile of the delay; NaN if none)."""
    accepted = accepted_mask(calls, offered)
    delay = (np.asarray(calls["cb_connect"]) - np.asarray(calls["cb_request"]))[accepted]
    delay = delay[np.isfinite(delay)]
    return {"callback_delay_p90": float(np.percentile(delay, 90)) if delay.size else float("nan")}
