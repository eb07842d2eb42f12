"""What-if comparison: several scenario variants run with common random numbers, paired differences.

A planner asks "what does one more agent at noon buy?" The answer is a *difference* between two runs, and
simulation noise makes two independent runs differ even when nothing changed. ``compare`` therefore runs
replication r of every variant with the same seed (common random numbers: the same callers arrive with the
same patience and handling times as far as the variants allow), and reports for each metric the mean of
the per-replication differences variant − reference with a Student-t 95 % CI over replications (paired
across replications). A difference whose CI excludes 0 is a real effect of the change, not noise. Each
variant's own mean and CI are computed exactly as a run's summary (:mod:`sim.confidence`); the difference is
that of the per-replication values (for ratio metrics these weight replications equally).

Variants are whole scenario files (``compare A.toml B.toml``) or one scenario with ``--set`` grids
(the grid of :mod:`sim.sweep`; the unchanged scenario is the reference). Every variant is run by the same
executor as ``sweep`` (local processes or Dask), so it is the same model as ``acdsim run``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.results import mean_ci, target_status
from sim.scenario import Scenario, ScenarioError
from sim.sweep import Variant, build_variants, check_sweep_workload, roster_notes, run_variants, summarise

HEADLINE = ("service_level", "asa", "abandon_rate", "occupancy", "aht", "avg_rings", "cost_per_call", "cost",
            "counter.served_within_target", "counter.wait_mean", "counter.balk_rate")
"""Metrics shown first (the counter's only with ``[counter]``); every run metric is in the tables."""


@dataclass
class Comparison:
    """``per_replication`` (variant, replication, metrics), ``summary`` (per variant and metric: mean, CI,
    difference to the reference with its paired CI), ``targets`` (per variant and target: status)."""

    labels: list[str]
    scenarios: list[Scenario]
    replications: int
    seed: int
    per_replication: pd.DataFrame
    summary: pd.DataFrame
    targets: pd.DataFrame
    notes: list[str] = field(default_factory=list)   # what a change implies, e.g. agents=N replacing the roster

    def table(self, metrics=HEADLINE) -> pd.DataFrame:
        """Wide view: one row per metric, per variant ``mean`` and ``diff [low, high]`` columns."""
        s = self.summary[self.summary["metric"].isin(metrics)]
        return s.pivot(index="metric", columns="variant", values="mean").reindex(
            [m for m in metrics if m in set(s["metric"])])[self.labels]

    def to_dict(self) -> dict:
        clean = lambda v: None if isinstance(v, float) and not math.isfinite(v) else v  # noqa: E731
        return {"reference": self.labels[0], "variants": self.labels, "replications": self.replications,
                "seed": self.seed, "notes": self.notes,
                "method": "paired differences variant - reference of per-replication metrics (common random "
                          "numbers), Student-t 95 % CI over replications",
                "summary": [{k: clean(v) for k, v in row.items()} for row in self.summary.to_dict("records")],
                "targets": [{k: clean(v) for k, v in row.items()} for row in self.targets.to_dict("records")]}


def paired_difference(values: np.ndarray, reference: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t CI of ``values - reference`` over the replications where both are finite (a
    difference has no bounded domain, so the plain t-interval of ``sim.results.mean_ci`` is the right one)."""
    d, lo, hi, _ = mean_ci(np.asarray(values, float) - np.asarray(reference, float), level)
    return d, lo, hi


def variants_from(scenarios: list[Scenario], labels: list[str] | None = None,
                  sets: list[str] | None = None) -> tuple[list[str], list[Variant]]:
    """Labels and variants: the scenarios as given, or the first scenario plus its ``--set`` grid."""
    if not scenarios:
        raise ScenarioError("compare needs at least one scenario")
    if sets:
        if len(scenarios) != 1:
            raise ScenarioError("--set variants compare ONE scenario with its changes; give one scenario file")
        grid = build_variants(scenarios[0], sets)
        variants = [Variant(0, {}, scenarios[0])] + [Variant(k + 1, v.params, v.scenario) for k, v in enumerate(grid)]
        names = ["reference"] + [", ".join(f"{p}={val}" for p, val in v.params.items()) for v in grid]
    else:
        if len(scenarios) < 2:
            raise ScenarioError("compare needs two or more scenarios, or one scenario with --set variants")
        variants = [Variant(k, {}, sc) for k, sc in enumerate(scenarios)]
        names = list(labels) if labels else [sc.name for sc in scenarios]
    seen: dict[str, int] = {}
    unique = []
    for name in names:  # two files with the same scenario name still get distinct labels
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique, variants


def compare(scenarios: list[Scenario], *, labels: list[str] | None = None, sets: list[str] | None = None,
            replications: int | None = None, seed: int | None = None, jobs: int | None = 1,
            scheduler=None, progress=None, force: bool = False, points=None) -> Comparison:
    """Run the variants with common random numbers and compare each against the first (the reference).
    ``points`` (``sim.resume.PointStore``): reuse the replications an interrupted comparison finished."""
    names, variants = variants_from(scenarios, labels, sets)
    reps = replications or scenarios[0].replications
    seed = scenarios[0].seed if seed is None else seed
    if reps < 2:
        raise ScenarioError("compare needs at least 2 replications for paired confidence intervals")
    if not force:
        check_sweep_workload(variants, reps, jobs)
    tidy, parts = run_variants(variants, reps, seed, jobs=jobs, scheduler=scheduler, progress=progress,
                               points=points)
    tidy["cost"] = tidy["cost_per_call"] * (tidy["handled"] + tidy["ivr_completed"])
    params = sorted({p for v in variants for p in v.params})
    metrics = [c for c in tidy.columns if c not in ("variant", "replication", *params)]
    # means and CIs exactly as a run's summary (ratio estimators, domain-respecting intervals)
    est = summarise(tidy.drop(columns=params), [], parts).set_index("variant")
    tidy.insert(0, "label", [names[v] for v in tidy["variant"]])
    ref = tidy[tidy["variant"] == 0].sort_values("replication")
    rows = []
    for v, name in enumerate(names):
        cur = tidy[tidy["variant"] == v].sort_values("replication")
        for m in metrics:
            mean, lo, hi = (float(est.loc[v, f"{m}_{k}"]) for k in ("mean", "ci_low", "ci_high"))
            n = int(cur[m].notna().sum())
            d, dlo, dhi = paired_difference(cur[m].to_numpy(), ref[m].to_numpy()) if v else (0.0, 0.0, 0.0)
            rows.append({"variant": name, "metric": m, "mean": mean, "ci_low": lo, "ci_high": hi, "n": n,
                         "diff": d, "diff_ci_low": dlo, "diff_ci_high": dhi,
                         "significant": bool(v and math.isfinite(dlo) and (dlo > 0 or dhi < 0))})
    summary = pd.DataFrame(rows)
    target_rows = []
    for (name, variant) in zip(names, variants):
        for metric, t in variant.scenario.targets.items():
            r = summary[(summary["variant"] == name) & (summary["metric"] == metric)].iloc[0]
            target_rows.append({"variant": name, "metric": metric, "min": t.min, "max": t.max, "mean": r["mean"],
                                "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                                "status": target_status(r["ci_low"], r["ci_high"], r["mean"], t.min, t.max)})
    targets = pd.DataFrame(target_rows, columns=["variant", "metric", "min", "max", "mean", "ci_low", "ci_high",
                                                 "status"])
    notes = roster_notes(scenarios[0], variants[1:]) if sets else []
    return Comparison(names, [v.scenario for v in variants], reps, seed, tidy, summary, targets, notes)
