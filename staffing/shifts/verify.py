"""Simulation-verified staffing: Erlang requirement -> roster -> simulate -> adjust requirement -> repeat.

:func:`optimise_with_simulation` schedules the Erlang requirement, simulates the roster (``run_fn``, normally
``sim.run``) with replications, computes per-interval confidence intervals of the target metrics from
``Results.intervals`` (one row per replication x interval), raises the requirement of intervals whose simulated
mean misses a target (above what was actually on the phones there), lowers it where every target is met with
the whole confidence interval beyond the target by ``over_margin``, re-solves and repeats up to ``max_iter``.
A lowered interval that then fails gets a floor (the level that passed), so the loop cannot oscillate.
Times in seconds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from staffing.shifts.roster import wrap_roster
from staffing.shifts.rules import ShiftRules
from staffing.shifts.solve import (InfeasibleScheduleError, ScheduleResult, cap_requirement, interval_label, schedule,
                                   slot_upper_bound)

METRIC_OF_TARGET = {"service_level": ("service_level", "min"), "asa_s": ("asa", "max"),
                    "abandon_rate": ("abandon_rate", "max")}


@dataclass
class VerifiedSchedule:
    """Outcome of the simulation-verified loop."""

    result: ScheduleResult            # the chosen schedule (roster, coverage, solver report)
    roster: pd.DataFrame              # roster for the simulator (cyclic shifts wrapped into day 0)
    requirement: np.ndarray           # final requirement per interval
    erlang_requirement: np.ndarray    # the starting (Erlang) requirement
    history: pd.DataFrame             # one row per iteration
    interval_stats: pd.DataFrame      # simulated per-interval means/CIs of the chosen iteration
    converged: bool
    explanation: str


def erlang_requirement(scenario) -> np.ndarray:
    """Heads per interval for the scenario's targets: ``staffing.requirements_from_scenario(scenario)["heads"]``
    (Erlang C, or Erlang A when callers abandon; shrinkage applied). Falls back to an Erlang C search here
    (service level and ASA targets, abandonment ignored) if that module is unavailable.
    """
    try:
        from staffing.requirements import requirements_from_scenario
    except ImportError:
        requirements_from_scenario = None
    if requirements_from_scenario is not None:
        return np.asarray(requirements_from_scenario(scenario)["heads"], dtype=float)
    return erlang_c_requirement(scenario)


def erlang_c_requirement(scenario) -> np.ndarray:
    """Fallback: smallest Erlang C agents meeting the SL/ASA targets, / (1 - shrinkage), rounded up."""
    from staffing.erlang_c import erlang_c_asa, erlang_c_service_level
    wl = scenario.workload()
    targets = scenario.staffing_targets()
    interval_s = float(scenario.horizon.interval_s)
    calls, aht = wl["calls"].to_numpy(float), wl["aht_s"].to_numpy(float)
    traffic = calls * aht / interval_s
    n = np.floor(traffic) + 1
    n[calls <= 0] = 0
    for _ in range(10000):
        ok = np.ones(len(n), bool)
        busy = calls > 0
        if "service_level" in targets:
            sl = erlang_c_service_level(traffic, n, np.where(aht > 0, aht, 1.0), targets.get("service_time_s", 20.0))
            ok &= ~busy | (sl >= targets["service_level"])
        if "asa_s" in targets:
            ok &= ~busy | (erlang_c_asa(traffic, n, np.where(aht > 0, aht, 1.0)) <= targets["asa_s"])
        if ok.all():
            break
        n = n + (~ok)
    shrink = float(getattr(scenario.agents, "shrinkage", 0.0) or 0.0)
    return np.ceil(n / (1.0 - shrink) - 1e-9)


def interval_stats(intervals: pd.DataFrame, targets: dict, level: float = 0.95) -> pd.DataFrame:
    """Per interval: replication mean and CI of each target metric, mean and pooled offered calls.

    The CI is the t-interval over replications; for the fractions (service level, abandonment) it is widened
    to at least the Wilson interval of the pooled calls (sum of ``offered`` over replications), because a
    handful of calls that were all answered in time gives zero spread between replications but says little.
    """
    metrics = [METRIC_OF_TARGET[k][0] for k in METRIC_OF_TARGET if k in targets]
    g = intervals.groupby("interval")
    out = pd.DataFrame(index=pd.Index(sorted(intervals["interval"].unique()), name="interval"))
    has_offered = "offered" in intervals
    out["offered"] = g["offered"].mean() if has_offered else np.nan
    out["offered_total"] = g["offered"].sum() if has_offered else np.nan
    z = stats.norm.ppf(0.5 + level / 2)
    for m in metrics:
        agg = g[m].agg(["mean", "std", "count"])
        half = stats.t.ppf(0.5 + level / 2, np.maximum(agg["count"] - 1, 1)) * agg["std"] / np.sqrt(agg["count"])
        half = half.where(agg["count"] > 1, np.inf)
        lo, hi = agg["mean"] - half, agg["mean"] + half
        if m in ("service_level", "abandon_rate") and has_offered:
            n = out["offered_total"].clip(lower=1e-9)
            p = agg["mean"].clip(0, 1)
            centre = (p + z * z / (2 * n)) / (1 + z * z / n)
            w = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
            lo, hi = np.minimum(lo, centre - w), np.maximum(hi, centre + w)
        out[f"{m}_mean"], out[f"{m}_ci_low"], out[f"{m}_ci_high"] = agg["mean"], lo, hi
        out[f"{m}_n"] = agg["count"]
    return out.reset_index()


def judge(st: pd.DataFrame, targets: dict, *, over_margin: float, min_calls: float) -> pd.DataFrame:
    """Add columns ``judged`` (at least ``min_calls`` offered calls pooled over the replications), ``fail``
    (a mean misses a target), ``over`` (every CI clears its target by ``over_margin``: absolute for fractions,
    relative for ASA) and ``shortfall`` (how far the worst metric is from its target)."""
    st = st.copy()
    st["judged"] = st["offered_total"].fillna(0) >= min_calls
    fail = np.zeros(len(st), bool)
    over = np.ones(len(st), bool)
    short = np.zeros(len(st))
    for key, (m, sense) in METRIC_OF_TARGET.items():
        if key not in targets or f"{m}_mean" not in st:
            continue
        tgt = float(targets[key])
        mean, lo, hi = st[f"{m}_mean"].to_numpy(), st[f"{m}_ci_low"].to_numpy(), st[f"{m}_ci_high"].to_numpy()
        has = np.isfinite(mean)
        if sense == "min":
            fail |= has & (mean < tgt)
            st[f"fail_{m}"] = has & (mean < tgt) & st["judged"].to_numpy()
            over &= ~has | (lo >= tgt + over_margin)
            short = np.maximum(short, np.where(has, tgt - mean, 0))
        else:
            marg = over_margin * tgt if m == "asa" else over_margin
            fail |= has & (mean > tgt)
            st[f"fail_{m}"] = has & (mean > tgt) & st["judged"].to_numpy()
            over &= ~has | (hi <= tgt - marg)
            short = np.maximum(short, np.where(has, (mean - tgt) / (tgt if m == "asa" and tgt > 0 else 1), 0))
    st["fail"] = fail & st["judged"]
    st["over"] = over & ~fail & st["judged"]
    st["shortfall"] = short
    return st


def _with_roster(scenario, roster: pd.DataFrame, handover_minutes: float):
    sc = scenario.with_roster(roster)
    agents = getattr(sc, "agents", None)
    if agents is not None and hasattr(agents, "handover_minutes") and hasattr(agents, "model_copy"):
        sc = sc.model_copy(update={"agents": agents.model_copy(update={"handover_minutes": handover_minutes})})
        sc._base_dir = getattr(scenario, "_base_dir", getattr(sc, "_base_dir", None))
    return sc


def optimise_with_simulation(scenario, *, run_fn: Callable | None = None, rules: ShiftRules | None = None,
                             requirement=None, max_iter: int = 6, replications: int | None = None,
                             seed: int | None = None, level: float = 0.95, over_margin: float = 0.05,
                             min_calls: float = 30.0, time_limit_s: float = 60.0, mip_rel_gap: float = 0.005,
                             progress: Callable[[str], None] | None = None) -> VerifiedSchedule:
    """Schedule, simulate, adjust, repeat (see module docstring). ``run_fn(scenario, replications=, seed=)``
    must return an object with ``.intervals`` (contract ``Results.intervals``); default ``sim.run``.

    ``requirement``: starting heads per interval (default: :func:`erlang_requirement`). Intervals with fewer
    than ``min_calls`` offered calls pooled over all replications are not judged (their SL is noise); more
    replications judge more of the quiet intervals.
    """
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if run_fn is None:
        import sim
        run_fn = sim.run
    rules = rules or getattr(scenario, "shifts", None) or ShiftRules()
    targets = scenario.staffing_targets()
    if not any(k in targets for k in METRIC_OF_TARGET):
        raise ValueError("optimise_with_simulation needs a service target in the scenario "
                         "(targets.service_level.min, targets.asa.max or targets.abandon_rate.max)")
    interval_s = int(scenario.horizon.interval_s)
    weekday = getattr(scenario.horizon, "start_weekday", None)
    req0 = np.asarray(erlang_requirement(scenario) if requirement is None else requirement, dtype=float)
    req0 = np.ceil(req0 - 1e-9)
    say = progress or (lambda s: None)
    cap = slot_upper_bound(req0, interval_s, rules)
    current, cap_note = cap_requirement(req0, interval_s, rules, weekday)
    if cap_note:
        say(cap_note)
    floor = np.zeros_like(current)
    history, runs = [], []
    for it in range(1, max_iter + 1):
        try:
            res = schedule(current, interval_s, rules, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap,
                           start_weekday=weekday)
        except InfeasibleScheduleError:
            if it == 1:
                raise
            say(f"iteration {it}: raised requirement cannot be scheduled; stopping")
            break
        roster = wrap_roster(res.roster, res.n_days) if rules.cyclic else res.roster
        out = run_fn(_with_roster(scenario, roster, rules.handover_minutes), replications=replications, seed=seed)
        st = judge(interval_stats(out.intervals, targets, level), targets, over_margin=over_margin,
                   min_calls=min_calls)
        st = st.set_index("interval").reindex(range(len(current))).reset_index()
        st[["fail", "over", "judged"]] = st[["fail", "over", "judged"]].fillna(False).astype(bool)
        on_phone = res.coverage["on_phone_min"].to_numpy()
        fail, over = st["fail"].to_numpy(), st["over"].to_numpy()
        sl = st["service_level_mean"].to_numpy() if "service_level_mean" in st else np.full(len(st), np.nan)
        judged_sl = np.where(st["judged"].to_numpy(), sl, np.nan)
        worst = int(np.nanargmin(judged_sl)) if np.isfinite(judged_sl).any() else -1
        runs.append((res, roster, current.copy(), st))
        history.append({"iteration": it, "cost": res.cost, "gap": res.gap, "solve_time_s": res.solve_time_s,
                        "required_agent_intervals": float(current.sum()), "failed_intervals": int(fail.sum()),
                        "over_served_intervals": int(over.sum()),
                        "worst_interval": interval_label(worst, interval_s, weekday) if worst >= 0 else "",
                        "worst_service_level": float(judged_sl[worst]) if worst >= 0 else np.nan})
        say(f"iteration {it}: cost {res.cost:,.0f}, {int(fail.sum())} intervals miss the target, worst SL "
            f"{history[-1]['worst_service_level']:.3f} at {history[-1]['worst_interval']}")
        # raise above what was actually on the phones; 2 steps when the miss is large
        step = np.where(st["shortfall"].to_numpy() > 0.15, 2, 1)
        raised = np.where(fail, np.maximum(current, on_phone) + step, current)
        floor = np.where(fail, np.maximum(floor, np.maximum(current, on_phone) + 1), floor)
        new = np.where(over & (current > floor) & (on_phone <= current), current - 1, raised)
        new = np.minimum(np.maximum(new, floor), cap)
        history[-1].update(raised=int((new > current).sum()), lowered=int((new < current).sum()))
        if np.array_equal(new, current):
            break
        current = new
    passing = [i for i, (_, _, _, st) in enumerate(runs) if not st["fail"].any()]
    # cheapest passing iteration; if none passes, the one with the fewest failing intervals (then cheapest)
    pick = min(passing, key=lambda i: runs[i][0].cost) if passing else \
        min(range(len(runs)), key=lambda i: (int(runs[i][3]["fail"].sum()), runs[i][0].cost))
    res, roster, req, st = runs[pick]
    hist = pd.DataFrame(history)
    text = explain(scenario, runs[0][2], req, hist, st, runs[0][3], cap, pick + 1, bool(passing), interval_s,
                   weekday)
    if cap_note:
        text += "\nNote: the Erlang " + cap_note
    return VerifiedSchedule(result=res, roster=roster, requirement=req, erlang_requirement=req0, history=hist,
                            interval_stats=st, converged=bool(passing), explanation=text)


def explain(scenario, req0, req, hist, st, st0, cap, chosen, converged, interval_s, weekday) -> str:
    """Plain-language account of where and why the Erlang requirement was wrong for this scenario."""
    lines = []
    first = hist.iloc[0]
    misses = ", ".join(f"{int(st0[c].sum())} on {c[5:]}" for c in st0.columns
                       if c.startswith("fail_") and st0[c].any())
    model = "Erlang A" if scenario.staffing_targets().get("patience_mean_s") else "Erlang C"
    lines.append(f"{model} asked for {req0.sum():g} agent-intervals; the roster built on it cost "
                 f"{first['cost']:,.2f} and, simulated, missed a target in {int(first['failed_intervals'])} "
                 f"interval(s)" + (f" ({misses})" if misses else "") + f"; worst-interval service level "
                 f"{first['worst_service_level']:.3f} at {first['worst_interval']}.")
    up, down = np.flatnonzero(req > req0), np.flatnonzero(req < req0)
    ch = hist.iloc[chosen - 1]
    lines.append(f"Chosen iteration {chosen} of {len(hist)}: cost {ch['cost']:,.2f} "
                 f"({100 * (ch['cost'] / first['cost'] - 1):+.1f} % vs Erlang), requirement raised in {len(up)} "
                 f"interval(s) (+{(req - req0)[up].sum():g}) and lowered in {len(down)} (-{(req0 - req)[down].sum():g}).")
    if len(up):
        lines.append("Raised: " + ", ".join(interval_label(k, interval_s, weekday) for k in up[:12])
                     + (" ..." if len(up) > 12 else ""))
    if not converged:
        stuck = np.flatnonzero(st["fail"].to_numpy())
        lines.append(f"Not converged within {len(hist)} iteration(s): {len(stuck)} interval(s) still miss the "
                     "target" + (f", {int((req[stuck] >= cap[stuck]).sum())} of them at the most people the shift "
                                 "rules allow" if len(stuck) else "") + ".")
    reasons = ["Erlang C treats each interval as an isolated steady state: queues built up in an under-staffed "
               "interval spill into the next one, and the first minutes after a shift change start with a queue."]
    patience = scenario.staffing_targets().get("patience_mean_s")
    if patience:
        reasons.append(f"Callers abandon (mean patience {patience:g} s): Erlang C assumes infinite patience, so "
                       "it overstates waiting where abandonment thins the queue (intervals can be lowered) and "
                       "ignores the redials that come back later.")
    types = getattr(scenario, "call_types", {}) or {}
    fams = sorted({getattr(getattr(ct, "talk", None), "family", "exponential") for ct in types.values()})
    if any(f != "exponential" for f in fams):
        reasons.append(f"Handle times are not exponential ({', '.join(fams)}): Erlang C's M/M/N waiting-time "
                       "tail is then wrong in both directions.")
    if any(getattr(ct, "acw", None) is not None for ct in types.values()):
        reasons.append("After-call work keeps agents busy after the caller hangs up; it is in the AHT, but it is "
                       "not interruptible and lengthens every busy period.")
    ag = getattr(scenario, "agents", None)
    if ag is not None and (getattr(ag, "absenteeism", 0) or getattr(ag, "adherence", 1) < 1):
        reasons.append("Absenteeism and non-adherence remove agents at random moments; a flat shrinkage factor "
                       "only gets them right on average.")
    reasons.append("Breaks and hand-overs are placed by the scheduler; the integer roster over-covers some "
                   "intervals and exactly meets others, and Erlang C cannot see that interplay.")
    lines.append("Why Erlang C alone was not right here:")
    lines += [f"  - {r}" for r in reasons]
    return "\n".join(lines)
