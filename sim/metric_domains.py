"""Where each metric's values can lie and what kind of number it is — the one place that says so.

A confidence interval must stay inside its metric's domain (../shared/spec/metrics.md, notes): rates and
shares in [0, 1], percentages in [0, 100], scores in [0, 100], times, counts and money per call >= 0.
A metric's *nature* also decides how it is estimated across replications (``sim.confidence``):

- ``share_of_counts``: calls of a kind / calls (service level, abandonment …): a ratio of sums over all
  replications' calls, interval on the logit scale, never narrower than the Wilson interval of the pooled
  counts;
- ``share_of_time``: time of a kind / time (occupancy, adherence): ratio of sums, logit scale;
- ``time_per_call`` / ``amount_per_unit``: seconds (rings, currency, calls) per call or per hour: ratio of
  sums, log scale;
- ``score``: 0..100 score per sampled call: ratio of sums, logit scale of score / 100;
- ``count`` / ``nonnegative``: per-replication totals or time averages: mean over replications, log scale;
- ``percent`` / ``share`` (mean of per-replication percentages or shares, e.g. desk deadlines): logit scale;
- ``model_expectation``: an input model's expected value (attrition): reported without an interval, it is
  not a measurement;
- ``real``: no bound known: Student-t interval of the mean.

Desk metrics (``desk.*``) get their domain from their name (``*_pct`` percent, ``*_rate``/``*_share``
share, ``*_h``/``*_hours`` time, everything else a count) — see ``DESK_PATTERNS``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

INF = math.inf


@dataclass(frozen=True)
class Domain:
    """``low`` <= value <= ``high``; ``ratio``: estimated as a ratio of sums; ``binomial``: both sums are counts."""

    nature: str
    low: float
    high: float
    ratio: bool = False
    binomial: bool = False

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high)

    @property
    def method(self) -> str:
        """How the point estimate and the 95 % CI are made (stated in summary.json and the report)."""
        return METHODS[self.nature]

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


SHARE_OF_COUNTS = Domain("share_of_counts", 0.0, 1.0, ratio=True, binomial=True)
SHARE_OF_TIME = Domain("share_of_time", 0.0, 1.0, ratio=True)
TIME_PER_CALL = Domain("time_per_call", 0.0, INF, ratio=True)
AMOUNT_PER_UNIT = Domain("amount_per_unit", 0.0, INF, ratio=True)
SCORE = Domain("score", 0.0, 100.0, ratio=True)
COUNT = Domain("count", 0.0, INF)
NONNEGATIVE = Domain("nonnegative", 0.0, INF)
PERCENT = Domain("percent", 0.0, 100.0)
SHARE = Domain("share", 0.0, 1.0)
MODEL_EXPECTATION = Domain("model_expectation", 0.0, INF)
REAL = Domain("real", -INF, INF)

METHODS = {
    "share_of_counts": "ratio estimator (pooled counts of all replications); CI: delta method on the logit "
                       "scale, at least the Wilson interval of the pooled counts",
    "share_of_time": "ratio estimator (pooled time of all replications); CI: delta method on the logit scale",
    "time_per_call": "ratio estimator (pooled sums of all replications); CI: delta method on the log scale",
    "amount_per_unit": "ratio estimator (pooled sums of all replications); CI: delta method on the log scale",
    "score": "ratio estimator (pooled scores of all replications); CI: delta method on the logit scale of "
             "score/100",
    "count": "mean over replications; CI: Student t on the log scale (delta method)",
    "nonnegative": "mean over replications; CI: Student t on the log scale (delta method)",
    "percent": "mean over replications; CI: Student t on the logit scale of value/100 (delta method)",
    "share": "mean over replications; CI: Student t on the logit scale (delta method)",
    "model_expectation": "expected value of the scenario's attrition model (an input, not a measurement); "
                         "no CI",
    "real": "mean over replications; CI: Student t",
}

DOMAINS: dict[str, Domain] = {
    # the spec's 23 metrics (sim.metrics.METRICS)
    "adherence": SHARE_OF_TIME, "avg_acw": TIME_PER_CALL, "avg_abandon_time": TIME_PER_CALL,
    "cost_per_call": AMOUNT_PER_UNIT, "aht": TIME_PER_CALL, "avg_hold_time": TIME_PER_CALL,
    "avg_rings": AMOUNT_PER_UNIT, "avg_queue_time": TIME_PER_CALL, "asa": TIME_PER_CALL,
    "avg_talk_time": TIME_PER_CALL, "calls_per_agent_hour": AMOUNT_PER_UNIT, "qa_score": SCORE,
    "occupancy": SHARE_OF_TIME, "abandon_rate": SHARE_OF_COUNTS, "attendance": SHARE_OF_COUNTS,
    "blocked_rate": SHARE_OF_COUNTS, "fcr": SHARE_OF_COUNTS, "queue_placement_rate": SHARE_OF_COUNTS,
    "transfer_rate": SHARE_OF_COUNTS, "percent_answered": SHARE_OF_COUNTS, "service_level": SHARE_OF_COUNTS,
    "total_calls": COUNT, "agent_turnover": MODEL_EXPECTATION,
    # reported beside them (sim.metrics.EXTRA_METRICS, COUNTS)
    "answered_within_rings": SHARE_OF_COUNTS, "overtime_hours": NONNEGATIVE,
    "expected_leavers": MODEL_EXPECTATION, "expected_hiring_cost": MODEL_EXPECTATION,
    "offered": COUNT, "answered": COUNT, "abandoned": COUNT, "short_abandoned": COUNT, "blocked": COUNT,
    "ivr_completed": COUNT, "handled": COUNT, "outbound_calls": COUNT, "agents_ready": NONNEGATIVE,
    "avg_queue_length": NONNEGATIVE, "outbound_share": SHARE_OF_TIME,
    # the walk-in counter (sim.counter_metrics)
    "counter.visits": COUNT, "counter.served": COUNT, "counter.open": COUNT, "counter.wait_mean": TIME_PER_CALL,
    "counter.wait_p90": NONNEGATIVE, "counter.served_within_target": SHARE_OF_COUNTS,
    "counter.balk_rate": SHARE_OF_COUNTS, "counter.left_rate": SHARE_OF_COUNTS, "counter.staff_hours": NONNEGATIVE,
    "counter.staff_share": SHARE_OF_TIME,

    # call-backs / virtual hold (sim.callbacks_metrics)
    "callback_share": SHARE_OF_COUNTS, "callback_accept_rate": SHARE_OF_COUNTS, "callback_success": SHARE_OF_COUNTS,
    "callback_within_deadline": SHARE_OF_COUNTS, "callback_delay": TIME_PER_CALL, "callback_delay_p90": NONNEGATIVE,
    "callback_attempts": AMOUNT_PER_UNIT, "callbacks_offered": COUNT, "callbacks_accepted": COUNT,
    "callbacks_connected": COUNT,
}

DESK_PATTERNS: tuple[tuple[str, Domain], ...] = (
    (r"_pct$", PERCENT),
    (r"(_rate|_share)$", SHARE),
    (r"(_h|_hours)$", NONNEGATIVE),
    (r"\.(mean_open|max_open)$", NONNEGATIVE),
    (r"", COUNT),            # tickets, escalations, outbound calls made, dunning cases …
)


def domain_of(metric: str) -> Domain:
    """The declared domain of ``metric`` (``desk.*`` by name pattern; unknown names: unbounded real)."""
    if metric in DOMAINS:
        return DOMAINS[metric]
    if metric.startswith("desk."):
        for pattern, domain in DESK_PATTERNS:
            if re.search(pattern, metric):
                return domain
    return REAL
