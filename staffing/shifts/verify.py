"""Simulation-verified staffing: Erlang requirement -> roster -> simulate -> adjust requirement -> repeat.

:func:`optimise_with_simulation` schedules the Erlang requirement, simulates the roster (``run_fn``, normally
``sim.run``) with replications and judges every interval *at stake* (at least ``min_calls`` offered calls
pooled over the replications) with the rule ``acdsim check`` uses for the whole run: the interval's
confidence interval (ratio estimators over the replications' calls, inside each metric's domain, as in
``Results.interval_summary``) decides — family-wise 95 %: each interval's CI is at level 1 - 0.05 / m for the m
intervals at stake (Bonferroni), so that simulation noise alone fails none of them with 95 % probability

- *pass*: the whole CI meets every target; *fail*: the whole CI misses a target; *inconclusive*: it straddles.

While intervals at stake are inconclusive, the same roster is simulated again with twice the replications (up
to ``max_replications``); intervals still inconclusive then lie within the noise of the target and are not
counted as misses. Failing intervals get their requirement raised (above what was actually on the phones
there); intervals whose whole CI clears every target by ``over_margin`` are lowered. A lowered interval that
then fails gets a floor (the level that failed + 1), so the loop cannot oscillate. It re-solves and repeats up
to ``max_iter``; ``converged`` is True when an iteration has no failing interval. Times in seconds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

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


def interval_stats(intervals: pd.DataFrame, targets: dict, level: float = 0.95,
                   summary: pd.DataFrame | None = None, parts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per interval: estimate and CI (at ``level``) of each target metric, mean and pooled offered calls.

    ``parts``: the run's ratio parts per replication and interval (``Results.interval_parts``) -> ratio
    estimators over the replications' calls, CIs inside the metric's domain (as ``Results.interval_summary``);
    ``summary``: a ready 95 % per-interval summary; without either the CIs come from ``intervals`` (one row
    per replication and interval), shares weighted by the offered calls (``sim.confidence``)."""
    from sim import confidence

    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    metrics = [METRIC_OF_TARGET[k][0] for k in METRIC_OF_TARGET if k in targets]
    g = intervals.groupby("interval")
    out = pd.DataFrame(index=pd.Index(sorted(intervals["interval"].unique()), name="interval"))
    has_offered = "offered" in intervals
    out["offered"] = g["offered"].mean() if has_offered else np.nan
    out["offered_total"] = g["offered"].sum() if has_offered else np.nan
    have = [m for m in metrics if m in intervals]
    base = intervals.assign(interval_start_s=intervals.get("interval_start_s", intervals["interval"]))
    base = base[["replication", "interval", "interval_start_s", *have]]
    if parts is not None:
        summary = confidence.interval_summary(base, parts, level=level)
    elif summary is None or level != 0.95:   # values per replication only: shares weighted by offered calls
        if has_offered:
            weight = intervals["offered"].to_numpy(float)
            parts = base[["replication", "interval", "interval_start_s"]].assign(
                **{confidence.num_col(m): intervals[m].to_numpy(float) * weight for m in have},
                **{confidence.den_col(m): np.where(np.isfinite(intervals[m].to_numpy(float)), weight, 0.0)
                   for m in have})
        summary = confidence.interval_summary(base, parts, level=level)
    summary = summary.set_index("interval")
    for m in metrics:
        if f"{m}_mean" not in summary:
            continue
        for stat in ("mean", "ci_low", "ci_high"):
            out[f"{m}_{stat}"] = summary[f"{m}_{stat}"].reindex(out.index)
        out[f"{m}_n"] = g[m].count() if m in intervals else np.nan
    return out.reset_index()


def judge(st: pd.DataFrame, targets: dict, *, over_margin: float, min_calls: float) -> pd.DataFrame:
    """Add ``judged`` (at least ``min_calls`` offered calls pooled over the replications), ``status_<metric>``
    and ``status`` (pass / fail / inconclusive by the CI rule of ``acdsim check``; an interval fails when any
    metric fails), ``fail``, ``inconclusive``, ``over`` (every CI clears its target by ``over_margin``: absolute
    for fractions, relative for ASA) and ``shortfall`` (how far the worst estimate is from its target)."""
    from sim.results import target_status

    st = st.copy()
    st["judged"] = st["offered_total"].fillna(0) >= min_calls
    n = len(st)
    fail, undecided = np.zeros(n, bool), np.zeros(n, bool)
    over = np.ones(n, bool)
    short = np.zeros(n)
    for key, (m, sense) in METRIC_OF_TARGET.items():
        if key not in targets or f"{m}_mean" not in st:
            continue
        tgt = float(targets[key])
        mean, lo, hi = st[f"{m}_mean"].to_numpy(), st[f"{m}_ci_low"].to_numpy(), st[f"{m}_ci_high"].to_numpy()
        has = np.isfinite(mean)
        bounds = (tgt, None) if sense == "min" else (None, tgt)
        status = np.array([target_status(a, b, c, *bounds) if ok else "pass"
                           for a, b, c, ok in zip(lo, hi, mean, has)], dtype=object)
        st[f"status_{m}"] = np.where(has, status, "")
        st[f"fail_{m}"] = (status == "fail") & st["judged"].to_numpy()
        fail |= status == "fail"
        undecided |= status == "inconclusive"
        if sense == "min":
            over &= ~has | (lo >= tgt + over_margin)
            short = np.maximum(short, np.where(has, tgt - mean, 0))
        else:
            marg = over_margin * tgt if m == "asa" else over_margin
            over &= ~has | (hi <= tgt - marg)
            short = np.maximum(short, np.where(has, (mean - tgt) / (tgt if m == "asa" and tgt > 0 else 1), 0))
    judged = st["judged"].to_numpy()
    st["fail"] = fail & judged
    st["inconclusive"] = undecided & ~fail & judged
    st["status"] = np.where(st["fail"], "fail", np.where(st["inconclusive"], "inconclusive",
                                                          np.where(judged, "pass", "not judged")))
    st["over"] = over & ~fail & ~undecided & judged
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
                             max_replications: int | None = None,
                             progress: Callable[[str], None] | None = None, points=None) -> VerifiedSchedule:
    """Schedule, simulate, adjust, repeat (see module docstring). ``run_fn(scenario, replications=, seed=)``
    must return an object with ``.intervals`` (contract ``Results.intervals``) and, like ``sim.Results``,
    ``.interval_summary`` (else CIs are computed from the replications' values); default ``sim.run``.

    ``requirement``: starting heads per interval (default: :func:`erlang_requirement`). Intervals with fewer
    than ``min_calls`` offered calls pooled over the starting replications are not at stake (not judged). Inconclusive
    intervals at stake are simulated again with doubled replications up to ``max_replications`` (default 4x
    the starting number, at least 20).

    ``points`` (``sim.resume.PointStore``): each solved roster and each simulated replication is kept there as
    it finishes, and taken from there when an interrupted loop is run again with the same inputs (``run_fn``
    then gets ``checkpoint=``, as ``sim.run`` takes it).
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
    start_reps = int(replications or getattr(scenario, "replications", None) or 10)
    top_reps = int(max_replications or max(4 * start_reps, 20))
    if top_reps < start_reps:
        raise ValueError(f"max_replications ({top_reps}) must be >= replications ({start_reps})")
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
            res = _solved(points, current, interval_s, rules, time_limit_s, mip_rel_gap, weekday)
        except InfeasibleScheduleError:
            if it == 1:
                raise
            say(f"iteration {it}: raised requirement cannot be scheduled; stopping")
            break
        roster = wrap_roster(res.roster, res.n_days) if rules.cyclic else res.roster
        rostered = _with_roster(scenario, roster, rules.handover_minutes)
        reps = start_reps
        checkpoint = _checkpoint(points, rostered, seed)   # one roster: its fingerprint once, for every doubling
        while True:
            out = run_fn(rostered, replications=reps, seed=seed, **checkpoint)
            # the intervals at stake are fixed by the starting replications: more replications sharpen their
            # CIs, they do not bring quiet intervals into the judgement
            # Bonferroni over the m intervals at stake: at the family level ``level`` chance alone fails none
            need = min_calls * reps / start_reps
            at_stake = int((out.intervals.groupby("interval")["offered"].sum() >= need).sum()) \
                if "offered" in out.intervals else len(current)
            each = 1.0 - (1.0 - level) / max(at_stake, 1)
            st = judge(interval_stats(out.intervals, targets, each, parts=getattr(out, "interval_parts", None)),
                       targets, over_margin=over_margin, min_calls=need)
            st = st.set_index("interval").reindex(range(len(current))).reset_index()
            flags = ["fail", "over", "judged", "inconclusive"]
            st[flags] = st[flags].fillna(False).astype(bool)
            undecided = int(st["inconclusive"].sum())
            if not undecided or reps >= top_reps:
                break
            reps = min(2 * reps, top_reps)
            say(f"iteration {it}: {undecided} interval(s) inconclusive (target inside the family-wise CI); simulating "
                f"the same roster with {reps} replications")
        on_phone = res.coverage["on_phone_min"].to_numpy()
        fail, over = st["fail"].to_numpy(), st["over"].to_numpy()
        sl = st["service_level_mean"].to_numpy() if "service_level_mean" in st else np.full(len(st), np.nan)
        judged_sl = np.where(st["judged"].to_numpy(), sl, np.nan)
        worst = int(np.nanargmin(judged_sl)) if np.isfinite(judged_sl).any() else -1
        runs.append((res, roster, current.copy(), st))
        history.append({"iteration": it, "cost": res.cost, "gap": res.gap, "solve_time_s": res.solve_time_s,
                        "replications": reps, "required_agent_intervals": float(current.sum()),
                        "failed_intervals": int(fail.sum()), "inconclusive_intervals": undecided,
                        "over_served_intervals": int(over.sum()),
                        "worst_interval": interval_label(worst, interval_s, weekday) if worst >= 0 else "",
                        "worst_service_level": float(judged_sl[worst]) if worst >= 0 else np.nan})
        say(f"iteration {it}: cost {res.cost:,.0f}, {reps} replications: {int(fail.sum())} interval(s) miss a "
            f"target (whole family-wise CI beyond it), {undecided} inconclusive; worst SL "
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


def _solved(points, req, interval_s: int, rules: ShiftRules, time_limit_s: float, mip_rel_gap: float,
            weekday: int | None) -> ScheduleResult:
    """The roster for ``req``: solved, or taken from ``points`` when an interrupted loop solved it already."""
    def solve() -> ScheduleResult:
        return schedule(req, interval_s, rules, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap,
                        start_weekday=weekday)
    if points is None:
        return solve()
    key = points.key("roster", np.asarray(req, float), interval_s, rules, time_limit_s, mip_rel_gap, weekday)
    return points.cached(key, solve)


def _checkpoint(points, scenario, seed) -> dict:
    if points is None:
        return {}
    from sim.resume import ReplicationPoints
    return {"checkpoint": ReplicationPoints(points, scenario, scenario.seed if seed is None else seed)}


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
    last = hist.iloc[-1]
    lines.append(f"Judging rule (as in acdsim check): an interval with at least the minimum of offered calls "
                 f"fails when its whole CI misses a target, passes when the whole CI meets every target, and "
                 f"is inconclusive otherwise; the CIs are family-wise 95 % (Bonferroni over the intervals at "
                 f"stake, so that chance alone fails none of them with 95 % probability); inconclusive ones are "
                 f"simulated again with more replications (most "
                 f"used: {int(hist['replications'].max())}). Chosen iteration: {int(st['judged'].sum())} interval(s) "
                 f"judged, {int(ch['failed_intervals'])} failing, {int(ch['inconclusive_intervals'])} inconclusive "
                 f"(within the noise of the target, not counted as misses).")
    if not st["judged"].any():
        lines.append("No interval had enough offered calls to be judged: simulate more replications.")
    if not converged:
        stuck = np.flatnonzero(st["fail"].to_numpy())
        at_cap = int((req[stuck] >= cap[stuck]).sum()) if len(stuck) else 0
        why = "the requirement stopped changing" if len(hist) and int(last.get("raised", 0)) == 0 and \
            int(last.get("lowered", 0)) == 0 else f"the iteration cap ({len(hist)}) was reached"
        lines.append(f"NOT CONVERGED ({why}): {len(stuck)} interval(s) still miss a target with their whole CI"
                     + (f", {at_cap} of them at the most people the shift rules allow" if len(stuck) else "")
                     + ": " + ", ".join(interval_label(k, interval_s, weekday) for k in stuck[:12])
                     + (" ..." if len(stuck) > 12 else "") + ".")
    patience = scenario.staffing_targets().get("patience_mean_s")
    model = "Erlang A" if patience else "Erlang C"
    reasons = [f"{model} treats each interval as an isolated steady state: queues built up in an under-staffed "
               "interval spill into the next one, and the first minutes after a shift change start with a queue."]
    callers = getattr(scenario, "callers", None)
    if patience:
        fam = getattr(getattr(callers, "patience", None), "family", "exponential")
        reasons.append(f"Callers abandon (mean patience {patience:g} s): Erlang A models that with exponential "
                       f"patience" + ("" if fam == "exponential" else f", but the scenario's patience is {fam}")
                       + ", and it ignores the callers who redial after abandoning (they come back later as "
                       "extra load).")
    types = getattr(scenario, "call_types", {}) or {}
    fams = sorted({getattr(getattr(ct, "talk", None), "family", "exponential") for ct in types.values()})
    if any(f != "exponential" for f in fams):
        reasons.append(f"Handle times are not exponential ({', '.join(fams)}): {model}'s M/M/N"
                       f"{'+M' if patience else ''} waiting-time tail is then wrong in both directions.")
    if any(getattr(ct, "acw", None) is not None for ct in types.values()):
        reasons.append("After-call work keeps agents busy after the caller hangs up; it is in the AHT, but it is "
                       "not interruptible and lengthens every busy period.")
    ag = getattr(scenario, "agents", None)
    if ag is not None and (getattr(ag, "absenteeism", 0) or getattr(ag, "adherence", 1) < 1):
        reasons.append("Absenteeism and non-adherence remove agents at random moments; a flat shrinkage factor "
                       "only gets them right on average.")
    reasons.append("Breaks and hand-overs are placed by the scheduler; the integer roster over-covers some "
                   f"intervals and exactly meets others, and {model} cannot see that interplay.")
    lines.append(f"Why {model} alone was not right here:" if int(first["failed_intervals"]) else
                 f"{model}'s roster missed no target beyond simulation noise; where {model} can still be off:")
    lines += [f"  - {r}" for r in reasons]
    return "\n".join(lines)
