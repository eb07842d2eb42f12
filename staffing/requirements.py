"""Agents needed per interval to meet service targets (vectorised over all intervals at once).

Units: calls per interval, ``aht_s`` and ``interval_s`` in seconds, traffic in Erlangs
(A = calls * aht_s / interval_s), times in targets in seconds, fractions in (0, 1).

Model: without a patience mean the queue is Erlang C (M/M/N, callers never hang up; only N > A is
feasible).  With ``patience_mean_s`` every queue measure comes from Erlang A (M/M/N+M), including the
service level (answered within t / offered, optionally excluding short abandons from the denominator as
the centre's metric #21 does) and the ASA of answered calls.

Search: square-root-staffing start N0 = A + sqrt(A) + 1, doubling upwards until every interval meets its
targets, then a bisection done on whole arrays (about log2(N) evaluations of the formulas for all
intervals together; no Python loop per agent or per interval).  All metrics are monotone in N.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from collections.abc import Mapping

import numpy as np
import pandas as pd

from staffing._numerics import check_nonnegative, check_positive
from staffing.erlang_a import erlang_a_metrics
from staffing.erlang_b import lines_for_blocking
from staffing.erlang_c import erlang_c, erlang_c_asa, erlang_c_service_level
from staffing.shrinkage import heads_for_agents, total_shrinkage

DEFAULT_SERVICE_TIME_S = 20.0
_MAX_AGENTS = 10_000_000


@dataclass(frozen=True)
class StaffingTarget:
    """Targets an interval must meet (any combination; at least one of the first four groups).

    service_level, service_time_s: at least ``service_level`` (fraction in (0,1)) of offered calls answered
        within ``service_time_s`` seconds (>= 0); both or neither.
    asa_s: maximum average speed of answer of answered calls (s, > 0).
    abandon_rate: maximum fraction of offered calls abandoning (in (0,1)); needs ``patience_mean_s``.
    occupancy_max: maximum agent occupancy (in (0,1]).
    patience_mean_s: mean caller patience (s, > 0) -> Erlang A; None -> Erlang C (no abandonment).
    short_abandon_s: calls abandoning within this many seconds are excluded from the service-level and
        abandon-rate denominators (metrics #14, #21); 0 = no exclusion.  Only meaningful with patience.
    blocking: maximum fraction of calls getting a busy signal -> number of trunk lines (Erlang B on the
        traffic of talking plus queued calls).
    """

    service_level: float | None = None
    service_time_s: float | None = None
    asa_s: float | None = None
    abandon_rate: float | None = None
    occupancy_max: float | None = None
    patience_mean_s: float | None = None
    short_abandon_s: float = 0.0
    blocking: float | None = None

    def __post_init__(self):
        def frac(name, hi_closed=False):
            """A fraction with an open lower end: (0, 1), or (0, 1] with ``hi_closed``."""
            v = getattr(self, name)
            if v is None:
                return
            ok = v > 0 and (v <= 1 if hi_closed else v < 1)
            if not ok or v != v:
                raise ValueError(f"{name} must be in (0, 1{']' if hi_closed else ')'}, got {v!r}")

        frac("service_level")
        frac("abandon_rate")
        frac("occupancy_max", hi_closed=True)
        frac("blocking")
        if (self.service_level is None) != (self.service_time_s is None):
            raise ValueError("service_level and service_time_s must be given together (e.g. 0.8 in 20 s)")
        if self.service_time_s is not None and not self.service_time_s >= 0:
            raise ValueError(f"service_time_s must be >= 0 seconds, got {self.service_time_s!r}")
        if self.asa_s is not None and not self.asa_s > 0:
            raise ValueError(f"asa_s must be > 0 seconds, got {self.asa_s!r}")
        if self.patience_mean_s is not None and not (0 < self.patience_mean_s < np.inf):
            raise ValueError(f"patience_mean_s must be a finite number of seconds > 0, got {self.patience_mean_s!r}")
        if not (self.short_abandon_s >= 0 and self.short_abandon_s < np.inf):
            raise ValueError(f"short_abandon_s must be >= 0 seconds, got {self.short_abandon_s!r}")
        if self.short_abandon_s > 0 and self.patience_mean_s is None:
            raise ValueError("short_abandon_s needs patience_mean_s (without patience nobody abandons)")
        if self.abandon_rate is not None and self.patience_mean_s is None:
            raise ValueError("an abandon_rate target needs patience_mean_s (callers who never hang up never abandon)")
        if all(getattr(self, k) is None for k in ("service_level", "asa_s", "abandon_rate", "occupancy_max")):
            raise ValueError("no staffing target given: set service_level+service_time_s, asa_s, abandon_rate "
                             "or occupancy_max")

    @classmethod
    def from_mapping(cls, targets: Mapping) -> "StaffingTarget":
        """Build from a dict such as ``scenario.staffing_targets()``; unknown keys -> ValueError."""
        known = {f.name for f in fields(cls)}
        unknown = set(targets) - known
        if unknown:
            raise ValueError(f"unknown staffing target(s) {sorted(unknown)}; allowed: {sorted(known)}")
        return cls(**{k: (None if v is None else float(v)) for k, v in targets.items()})

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def uses_erlang_a(self) -> bool:
        return self.patience_mean_s is not None


def _as_target(target) -> StaffingTarget:
    if isinstance(target, StaffingTarget):
        return target
    if isinstance(target, Mapping):
        return StaffingTarget.from_mapping(target)
    raise ValueError(f"target must be a StaffingTarget or a mapping, got {type(target).__name__}")


def predicted_metrics(traffic, agents, aht_s, target: StaffingTarget, *, waits: bool | str = True) -> dict:
    """Predicted service_level, asa_s, abandon_rate, occupancy, wait_probability, mean_wait_s per interval.

    Uses Erlang A when ``target.patience_mean_s`` is set, else Erlang C.  The service level uses
    ``target.service_time_s`` (default 20 s when the target has none).
    """
    a = np.asarray(traffic, float)
    n = np.asarray(agents, float)
    aht = np.broadcast_to(np.asarray(aht_s, float), a.shape)
    t = target.service_time_s if target.service_time_s is not None else DEFAULT_SERVICE_TIME_S
    out: dict[str, np.ndarray] = {}
    if target.uses_erlang_a:
        m = erlang_a_metrics(a, n, aht, target.patience_mean_s, t, waits=waits)
        sl = m["service_level"]
        pab = m["abandon_probability"]
        if target.short_abandon_s > 0:
            short = erlang_a_metrics(a, n, aht, target.patience_mean_s, target.short_abandon_s,
                                     waits=False)["abandon_within"]
            denom = np.maximum(1.0 - short, 1e-300)
            sl = sl / denom
            pab = np.clip((pab - short) / denom, 0.0, 1.0)
        out["service_level"] = sl
        out["abandon_rate"] = pab
        if waits:
            out["asa_s"] = m["asa_s"]
        with np.errstate(divide="ignore", invalid="ignore"):
            occ = np.where(n > 0, a * (1.0 - m["abandon_probability"]) / np.where(n > 0, n, 1.0), 1.0)
        out["occupancy"] = np.where(a > 0, occ, 0.0)
        out["wait_probability"] = m["wait_probability"]
        out["mean_wait_s"] = m["mean_wait_s"]
    else:
        out["service_level"] = erlang_c_service_level(a, n, aht, t)
        out["abandon_rate"] = np.zeros(a.shape)
        asa = erlang_c_asa(a, n, aht)
        if waits:
            out["asa_s"] = asa
        with np.errstate(divide="ignore", invalid="ignore"):
            out["occupancy"] = np.where(n > a, a / np.where(n > 0, n, 1.0), np.where(a > 0, 1.0, 0.0))
        out["wait_probability"] = erlang_c(a, n)
        out["mean_wait_s"] = asa
    idle = a == 0  # no offered calls: nothing waits (also with 0 agents)
    if idle.any():
        for k, v in (("service_level", 1.0), ("abandon_rate", 0.0), ("asa_s", 0.0), ("occupancy", 0.0),
                     ("wait_probability", 0.0), ("mean_wait_s", 0.0)):
            if k in out:
                out[k] = np.where(idle, v, out[k])
    return out


def _meets(traffic, agents, aht, target: StaffingTarget) -> np.ndarray:
    m = predicted_metrics(traffic, agents, aht, target, waits="asa" if target.asa_s is not None else False)
    ok = np.ones(np.shape(traffic), dtype=bool)
    if not target.uses_erlang_a:
        ok &= agents > traffic
    if target.service_level is not None:
        ok &= m["service_level"] >= target.service_level
    if target.asa_s is not None:
        ok &= m["asa_s"] <= target.asa_s
    if target.abandon_rate is not None:
        ok &= m["abandon_rate"] <= target.abandon_rate
    if target.occupancy_max is not None:
        ok &= m["occupancy"] <= target.occupancy_max
    return ok


def agents_for_traffic(traffic, aht_s, target) -> np.ndarray:
    """Minimal whole number of agents per element meeting every target (int64, shaped like ``traffic``)."""
    target = _as_target(target)
    a_in = check_nonnegative(traffic, "traffic")
    aht_in = check_positive(aht_s, "aht_s")
    a_b, aht_b = np.broadcast_arrays(a_in, aht_in)
    a = a_b.ravel().astype(float)
    aht = aht_b.ravel().astype(float)
    result = np.zeros(a.shape, dtype=float)
    busy = a > 0  # no traffic -> 0 agents
    idx = np.flatnonzero(busy)
    if idx.size:
        aa, hh = a[idx], aht[idx]
        # lo: known infeasible (Erlang C needs N > A; with traffic somebody must answer: N >= 1)
        floor_lo = np.floor(aa) if not target.uses_erlang_a else np.zeros_like(aa)
        guess = np.maximum(np.ceil(aa + np.sqrt(aa)) + 1.0, floor_lo + 1.0)  # square-root staffing
        step = np.maximum(1.0, np.ceil(0.5 * np.sqrt(aa)))
        ok = _meets(aa, guess, hh, target)
        lo = np.where(ok, floor_lo, guess)
        hi = np.where(ok, guess, np.inf)
        # gallop with doubling steps: downwards from a feasible guess, upwards from an infeasible one
        todo = np.arange(aa.size)
        while todo.size:
            up = ~np.isfinite(hi[todo])
            probe = np.where(up, lo[todo] + step[todo], hi[todo] - step[todo])
            useful = up | (probe > lo[todo])
            todo, probe, up = todo[useful], probe[useful], up[useful]
            if not todo.size:
                break
            if probe.max() > _MAX_AGENTS:
                raise ValueError(f"targets {target} need more than {_MAX_AGENTS} agents for traffic "
                                 f"{aa[todo].max():.4g} Erlangs")
            ok = _meets(aa[todo], probe, hh[todo], target)
            hi[todo[ok]] = probe[ok]
            lo[todo[~ok]] = probe[~ok]
            step[todo] *= 2.0
            # keep galloping where the probe moved the bracket the same way as before
            todo = todo[np.where(up, ~ok, ok)]
        todo = np.flatnonzero(hi - lo > 1)
        while todo.size:  # bisection on all open brackets at once
            mid = np.floor((lo[todo] + hi[todo]) / 2.0)
            ok = _meets(aa[todo], mid, hh[todo], target)
            hi[todo[ok]] = mid[ok]
            lo[todo[~ok]] = mid[~ok]
            todo = todo[hi[todo] - lo[todo] > 1]
        result[idx] = hi
    return result.astype(np.int64).reshape(a_b.shape)


def agents_for_target(calls, aht_s, interval_s, target) -> np.ndarray:
    """Minimal agents on the phones per interval meeting all targets.

    calls: offered calls per interval (array, >= 0); aht_s: mean handle time (s, > 0, scalar or array);
    interval_s: interval length (s, > 0); target: StaffingTarget or mapping (see StaffingTarget).
    """
    c = check_nonnegative(calls, "calls")
    aht = check_positive(aht_s, "aht_s")
    ivl = check_positive(interval_s, "interval_s")
    return agents_for_traffic(c * aht / ivl, aht, target)


def trunks_for_target(calls, aht_s, interval_s, agents, target) -> np.ndarray:
    """Trunk lines per interval so that at most ``target.blocking`` of calls get a busy signal.

    A line is held while the call talks *and* while it waits in the queue, so the Erlang B traffic is
    calls/interval_s * (aht_s + mean queue time of all offered calls) at the given agents.
    """
    target = _as_target(target)
    if target.blocking is None:
        raise ValueError("trunks_for_target needs target.blocking")
    c = check_nonnegative(calls, "calls")
    aht = check_positive(aht_s, "aht_s")
    ivl = check_positive(interval_s, "interval_s")
    a = c * aht / ivl
    wait = predicted_metrics(a, agents, aht, target, waits=False)["mean_wait_s"]
    wait = np.where(np.isfinite(wait), wait, 0.0)
    return lines_for_blocking(c / ivl * (aht + wait), target.blocking)


def requirements_table(workload: pd.DataFrame, target, *, interval_s: float,
                       shrinkage=0.0, default_aht_s: float | None = None) -> pd.DataFrame:
    """Requirements per interval from a workload table (columns calls, optional aht_s/interval/interval_start_s).

    Returns a DataFrame with interval, interval_start_s, calls, aht_s, traffic, agents, heads, [trunks],
    service_level, asa_s, abandon_rate, occupancy (predicted at the required agents).
    """
    target = _as_target(target)
    if "calls" not in workload.columns:
        raise ValueError("the workload needs a 'calls' column")
    calls = check_nonnegative(workload["calls"].to_numpy(dtype=float), "calls")
    if "aht_s" in workload.columns:
        aht = workload["aht_s"].to_numpy(dtype=float)
        if default_aht_s is not None:
            aht = np.where(np.isnan(aht), default_aht_s, aht)
        elif np.isnan(aht).any():
            raise ValueError("aht_s is empty in some rows and no default AHT is given (use --aht SECONDS)")
    elif default_aht_s is not None:
        aht = np.full(calls.shape, float(default_aht_s))
    else:
        raise ValueError("no aht_s column in the volumes and no default AHT given (use --aht SECONDS)")
    aht = check_positive(aht, "aht_s")
    ivl = float(check_positive(interval_s, "interval_s"))
    s = total_shrinkage(shrinkage)
    traffic = calls * aht / ivl
    agents = agents_for_traffic(traffic, aht, target)
    pred = predicted_metrics(traffic, agents, aht, target)
    n = len(calls)
    out = pd.DataFrame({
        "interval": workload["interval"].to_numpy() if "interval" in workload.columns else np.arange(n),
        "interval_start_s": (workload["interval_start_s"].to_numpy(dtype=float)
                             if "interval_start_s" in workload.columns else np.arange(n) * ivl),
        "calls": calls,
        "aht_s": aht,
        "traffic": traffic,
        "agents": agents,
        "heads": heads_for_agents(agents, s),
    })
    if target.blocking is not None:
        out["trunks"] = trunks_for_target(calls, aht, ivl, agents, target)
    for k in ("service_level", "asa_s", "abandon_rate", "occupancy"):
        out[k] = pred[k]
    return out


def requirements_from_scenario(scenario, target=None, *, shrinkage=None) -> pd.DataFrame:
    """Requirements for every interval of a scenario (``sim.Scenario`` or anything with the same API).

    Uses ``scenario.workload()``, ``scenario.horizon.interval_s``, ``scenario.staffing_targets()`` (unless
    ``target`` is given; a mapping ``target`` overrides single keys of the scenario's targets) and
    ``scenario.agents.shrinkage`` (unless ``shrinkage`` is given); with ``agents.shrinkage_on_call = false``
    no shrinkage is applied in the on-call intervals (night-duty windows of ``scenario.shifts``, else the
    default shift rules).
    """
    if target is None or isinstance(target, Mapping):
        merged = dict(scenario.staffing_targets())
        merged.update(target or {})
        target = StaffingTarget.from_mapping(merged)
    agents = getattr(scenario, "agents", None)
    if shrinkage is None:
        shrinkage = getattr(agents, "shrinkage", 0.0) or 0.0
    table = requirements_table(scenario.workload(), target, interval_s=scenario.horizon.interval_s,
                               shrinkage=shrinkage)
    if not getattr(agents, "shrinkage_on_call", True):   # the on-call technician: heads = agents on the phones
        from staffing.shifts.rules import ShiftRules

        rules = getattr(scenario, "shifts", None) or ShiftRules()
        on_call = rules.on_call_mask(int(scenario.horizon.interval_s), len(table))
        table.loc[on_call, "heads"] = table.loc[on_call, "agents"]
    return table
