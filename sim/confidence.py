"""Point estimates and 95 % confidence intervals across replications that respect each metric's domain.

Replications are independent, so each is one observation of the centre. How a metric is estimated follows
its declared domain (``sim.metric_domains``):

- **ratio metrics** (service level, ASA, occupancy …) are ratio estimators: R = sum of numerators / sum of
  denominators over all replications (every call of every replication weighs the same). Its standard error
  is the delta-method (linearisation) one over replications,
  se^2 = sum_r (num_r - R den_r)^2 / (n (n - 1) mean(den)^2);
- **other metrics** are means over replications with the Student-t standard error;
- the interval is built on a scale where the domain has no edge — logit for values in [low, high], log for
  values >= low — and mapped back, so it lies inside the domain and around the point estimate; for shares
  of calls it is widened to at least the Wilson interval of the pooled counts (a handful of calls that all
  passed gives no spread between replications but says little);
- fewer than 2 replications that observed the metric (e.g. an interval without calls): no interval (NaN)
  and a note saying why.

Everything is vectorised over columns (metrics, or intervals of one metric). ``level`` defaults to 95 %;
``sim``'s outputs always use 95 %; the verify loop of ``acdsim schedule`` asks for a multiplicity-adjusted one.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri, stdtrit   # t and normal quantiles; scipy.stats takes seconds to import

from sim.metric_domains import Domain, domain_of

LEVEL = 0.95
NOTE_FEW = "no interval: observed in fewer than 2 replications"
NOTE_NONE = "no estimate: not observed in any replication"
NOTE_MODEL = "model expectation, not a measurement: no interval"


def _crit(df, level: float = LEVEL) -> np.ndarray:
    return stdtrit(np.maximum(df, 1), 0.5 + level / 2)


def _transformed_interval(est, se, crit, domain: Domain) -> tuple[np.ndarray, np.ndarray]:
    """Interval est ± crit*se computed on the domain's unbounded scale (delta method) and mapped back."""
    est, se = np.asarray(est, float), np.asarray(se, float)
    lo, hi = np.full(est.shape, np.nan), np.full(est.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if domain.bounded:
            width = domain.high - domain.low
            p = (est - domain.low) / width
            inside = (p > 0) & (p < 1)
            theta = np.log(p / (1 - p))
            half = crit * se / width / (p * (1 - p))
            lo = np.where(inside, domain.low + width / (1 + np.exp(-(theta - half))), est)
            hi = np.where(inside, domain.low + width / (1 + np.exp(-(theta + half))), est)
        elif np.isfinite(domain.low):
            x = est - domain.low
            inside = x > 0
            half = crit * se / x
            lo = np.where(inside, domain.low + x * np.exp(-half), est)
            hi = np.where(inside, domain.low + x * np.exp(half), est)
        else:
            lo, hi = est - crit * se, est + crit * se
    # at an edge of the domain every replication sits on it (se = 0): the interval is the point itself
    return np.minimum(lo, est), np.maximum(hi, est)


def wilson(p, n, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion ``p`` from ``n`` trials (inside [0, 1], contains ``p``)."""
    p, n = np.asarray(p, float), np.maximum(np.asarray(n, float), 1e-12)
    z = ndtri(0.5 + level / 2)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(np.maximum(p * (1 - p), 0.0) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(np.minimum(centre - half, p), 0, 1), np.clip(np.maximum(centre + half, p), 0, 1)


def ratio_ci(num, den, domain: Domain, level: float = LEVEL) -> dict:
    """Ratio estimator per column of ``num``/``den`` (replications x columns): est, ci_low, ci_high, n, note."""
    num, den = np.atleast_2d(np.asarray(num, float)), np.atleast_2d(np.asarray(den, float))
    num, den = np.where(np.isfinite(num), num, 0.0), np.where(np.isfinite(den), den, 0.0)
    reps = num.shape[0]
    total_num, total_den = num.sum(axis=0), den.sum(axis=0)
    seen = (den > 0).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(total_den > 0, total_num / np.where(total_den > 0, total_den, 1.0), np.nan)
        resid = num - est * den
        mean_den = total_den / reps
        se = np.sqrt((resid ** 2).sum(axis=0) / (reps * max(reps - 1, 1))) / mean_den
    lo, hi = _transformed_interval(est, se, _crit(reps - 1, level), domain)
    if domain.binomial:
        w_lo, w_hi = wilson((est - domain.low) / (domain.high - domain.low), total_den, level)
        lo, hi = np.minimum(lo, w_lo), np.maximum(hi, w_hi)
    few = seen < 2
    lo, hi = np.where(few, np.nan, lo), np.where(few, np.nan, hi)
    note = np.where(seen == 0, NOTE_NONE, np.where(few, NOTE_FEW, ""))
    return {"mean": est, "ci_low": lo, "ci_high": hi, "n": seen, "note": note}


def mean_ci(values, domain: Domain, level: float = LEVEL) -> dict:
    """Mean over replications per column of ``values`` (NaN = not observed): mean, ci_low, ci_high, n, note."""
    x = np.atleast_2d(np.asarray(values, float))
    ok = np.isfinite(x)
    n = ok.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, np.where(ok, x, 0.0).sum(axis=0) / np.maximum(n, 1), np.nan)
        var = np.where(ok, (x - mean) ** 2, 0.0).sum(axis=0) / np.maximum(n - 1, 1)
        se = np.sqrt(var / np.maximum(n, 1))
    if domain.nature == "model_expectation":
        nan = np.full(mean.shape, np.nan)
        return {"mean": mean, "ci_low": nan, "ci_high": nan, "n": n,
                "note": np.where(n > 0, NOTE_MODEL, NOTE_NONE)}
    lo, hi = _transformed_interval(mean, se, _crit(n - 1, level), domain)
    few = n < 2
    lo, hi = np.where(few, np.nan, lo), np.where(few, np.nan, hi)
    note = np.where(n == 0, NOTE_NONE, np.where(few, NOTE_FEW, ""))
    return {"mean": mean, "ci_low": lo, "ci_high": hi, "n": n, "note": note}


def num_col(metric: str) -> str:
    return f"{metric}:num"


def den_col(metric: str) -> str:
    return f"{metric}:den"


def estimate(metric: str, values, parts: pd.DataFrame | None = None) -> dict:
    """Estimate and CI of one metric from per-replication ``values`` (or its ratio ``parts``, if present)."""
    domain = domain_of(metric)
    if domain.ratio and parts is not None and num_col(metric) in parts:
        return ratio_ci(parts[num_col(metric)].to_numpy()[:, None], parts[den_col(metric)].to_numpy()[:, None],
                        domain)
    return mean_ci(np.asarray(values, float)[:, None], domain)


def summarise(per_rep: pd.DataFrame, parts: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per metric (column of ``per_rep``, one row per replication): mean (the estimate), ci_low,
    ci_high, n (replications that observed it), method, note. ``parts`` holds ``<metric>:num`` and
    ``<metric>:den`` per replication for the ratio metrics."""
    rows = {}
    for metric in per_rep.columns:
        r = estimate(metric, per_rep[metric].to_numpy(float), parts)
        rows[metric] = {"mean": float(r["mean"][0]), "ci_low": float(r["ci_low"][0]),
                        "ci_high": float(r["ci_high"][0]), "n": int(r["n"][0]),
                        "method": domain_of(metric).method, "note": str(r["note"][0])}
    out = pd.DataFrame.from_dict(rows, orient="index",
                                 columns=["mean", "ci_low", "ci_high", "n", "method", "note"])
    out.index.name = "metric"
    return out


def interval_summary(intervals: pd.DataFrame, parts: pd.DataFrame | None = None,
                     level: float = LEVEL) -> pd.DataFrame:
    """Per interval: ``<metric>_mean``, ``_ci_low``, ``_ci_high`` across replications (domain-respecting),
    and ``ci_notes`` naming the metrics without an interval there and why.

    ``intervals`` and ``parts`` have one row per replication and interval (columns ``replication``,
    ``interval``, ``interval_start_s``); ``parts`` holds ``<metric>:num``/``:den`` of the ratio metrics."""
    keys = ["interval", "interval_start_s"]
    order = intervals.sort_values(["replication", *keys], kind="stable")
    index = order[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)
    reps = order["replication"].unique()
    shape = (len(reps), len(index))
    if len(order) != shape[0] * shape[1]:
        raise ValueError("every replication must report the same intervals")
    value_cols = [c for c in intervals.columns if c not in ("replication", *keys)]
    pieces = {}
    parts_sorted = None
    if parts is not None:
        parts_sorted = parts.sort_values(["replication", *keys], kind="stable")
    notes: list[dict[str, list[str]]] = [{} for _ in range(shape[1])]
    for metric in value_cols:
        domain = domain_of(metric)
        if domain.ratio and parts_sorted is not None and num_col(metric) in parts_sorted:
            r = ratio_ci(parts_sorted[num_col(metric)].to_numpy().reshape(shape),
                         parts_sorted[den_col(metric)].to_numpy().reshape(shape), domain, level)
        else:
            r = mean_ci(order[metric].to_numpy(float).reshape(shape), domain, level)
        pieces[f"{metric}_mean"] = r["mean"]
        pieces[f"{metric}_ci_low"] = r["ci_low"]
        pieces[f"{metric}_ci_high"] = r["ci_high"]
        for k in np.flatnonzero(r["note"] != ""):
            notes[k].setdefault(r["note"][k].split(":")[0], []).append(metric)
    out = pd.concat([index, pd.DataFrame(pieces)], axis=1)
    out["ci_notes"] = ["; ".join(f"{why}: {', '.join(names)}" for why, names in n.items()) for n in notes]
    return out
