"""Benchmark: noon update rules for the afternoon, side by side on the same evening-before forecasts.

    python benchmarks/bench_intraday_rules.py [--weeks 8] [--data PATH]

Why: issue 10 asks the noon reforecast to cut the afternoon's WAPE by >= 20 % against the forecast made the
evening before; the forecaster's rule (``predict._simulate_intraday``: Gaussian conditioning on the empirical
slot covariance of recent errors) reaches about 18 % on the bank data.  This script replays the same rolling
origin (``bench_forecast.py``: 30-min bank volumes, the last ``--weeks`` weeks, afternoon = 12:00 to close)
and scores the update rules of the intraday-forecasting literature on the *same* evening-before forecasts
(``forecast_volumes`` from the days before each day), next to look-ahead oracles that bound any rule.

Each rule multiplies the evening forecast of every afternoon interval by exp(predicted log error), the
prediction using the day's intervals before 12:00 and parameters estimated only on earlier days (the days
of the history with an evening forecast: every open day after the first ``WARMUP`` ones):

* ``morning ratio`` / ``last hour ratio``: actual over forecast calls since opening / in the last hour;
* ``regression: morning ratio`` — the afternoon's log error regressed on the morning's (ridge, no intercept);
* ``regression: morning + last 2 h, per slot`` — each afternoon interval on both ratios (the last hours
  weigh more when they predict more);
* ``... + last 30 min at 5 min`` — adds the ratio of the 5-minute counts of 11:30-12:00 to the evening forecast
  split by the recent 5-minute shares (the freshest information the 5-minute data holds);
* ``state space: day level + AR(1)`` — log errors across the day = a day level + an AR(1) drift + count noise,
  the three variances and the AR coefficient by maximum likelihood on earlier days; the afternoon is the
  Kalman (Gaussian) conditional mean given the morning;
* ``empirical covariance`` — the same conditioning with the sample covariance (the forecaster's rule, here on
  the evening-before errors rather than the level model's one-step errors);
* ``look-ahead: best level regression`` — the morning + last 2 h level regression fitted on the scored days
  themselves (not a forecast: an optimistic bound for linear level rules).

Prints one row per rule: afternoon WAPE, reduction against the evening before and its 90 % day-bootstrap CI.
Exit code 0 (a measurement, no goal), 2 without data.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "bank_calls_5min_train.csv"
WARMUP = 15      # open days before the first evening forecast (the forecaster needs history)
RIDGE = 0.01     # ridge penalty of the regressions (log-error units²; features have sd ~0.05)
NOON_SLOT = 24   # 12:00 on the 30-minute grid


def evening_forecasts(series5: pd.Series):
    """(actual 30-min counts [day, slot], evening-before forecasts, 5-min counts [day, slot5], dates)."""
    from staffing.forecast import aggregate, forecast_volumes
    from staffing.forecast.accuracy import _as_series
    from staffing.forecast.history import to_history

    hist = to_history(aggregate(series5, 30))
    h5 = to_history(series5)
    series = _as_series(hist)
    F = np.full_like(hist.counts, np.nan)
    for d in np.flatnonzero(hist.open_days)[WARMUP:]:
        at = series.index[series.index.normalize() == hist.dates[d]]
        fc = forecast_volumes(series[series.index < hist.dates[d]], at=at, country=None)
        F[d, ((at - hist.dates[d]).total_seconds() // 1800).astype(int)] = fc["calls"].to_numpy()
    return hist.counts, F, h5.counts, hist.dates


def _ridge(X, T, x):
    B = np.linalg.solve(X.T @ X + RIDGE * np.eye(X.shape[1]), X.T @ T)
    return x @ B


def _ratio(y, f):
    return np.log(np.nansum(y, axis=-1) / np.nansum(f, axis=-1))


def _state_space(R, noise):
    """ML fit of cov = s_u² + s_a² φ^|i−j| + diag(noise) to rows of log errors R; returns (latent, cov)."""
    from scipy.optimize import minimize

    n = R.shape[1]
    lag = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))

    def covs(th):
        latent = np.exp(th[0]) ** 2 + np.exp(th[1]) ** 2 * np.tanh(th[2]) ** lag
        return latent, latent + np.diag(noise)

    def nll(th):
        cov = covs(th)[1]
        logdet = np.linalg.slogdet(cov)[1]
        return 0.5 * (R.shape[0] * logdet + np.einsum("ij,jk,ik->", R, np.linalg.inv(cov), R))

    return covs(minimize(nll, [np.log(0.04), np.log(0.03), 0.5], method="Nelder-Mead").x)


def rules(Y, F, Y5, test, train_days):
    """Predicted afternoon calls [len(test), afternoon slots] per rule name."""
    S = Y.shape[1]
    open_ = ~np.isnan(Y[test[0]])
    mi = np.flatnonzero(open_ & (np.arange(S) < NOON_SLOT))
    ai = np.flatnonzero(open_ & (np.arange(S) >= NOON_SLOT))
    L = np.log((Y + 0.5) / (F + 0.5))

    def five_min_feature(d, past):
        blk = Y5[past].reshape(len(past), S, -1)
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # closed intervals: no share (NaN), not used
            share = np.nanmean(blk / blk.sum(axis=2, keepdims=True), axis=0)
        f5 = (F[d][:, None] * share).reshape(-1)
        last = np.arange(NOON_SLOT * share.shape[1] - share.shape[1], NOON_SLOT * share.shape[1])
        return _ratio(Y5[d, last], f5[last])

    def feats(d, five=False, past=None):
        f = [_ratio(Y[d, mi], F[d, mi]), _ratio(Y[d, mi[-4:]], F[d, mi[-4:]])]
        return np.array(f + ([five_min_feature(d, past)] if five else []))

    out = {k: [] for k in ("morning ratio", "last hour ratio", "regression: morning ratio",
                           "regression: morning + last 2 h, per slot", "... + last 30 min at 5 min",
                           "state space: day level + AR(1)", "empirical covariance")}
    oi = np.flatnonzero(open_)
    seen, unseen = np.searchsorted(oi, mi), np.searchsorted(oi, ai)
    for d in test:
        tr = train_days[train_days < d]
        base = F[d, ai]
        out["morning ratio"].append(base * np.exp(_ratio(Y[d, mi], F[d, mi])))
        out["last hour ratio"].append(base * np.exp(_ratio(Y[d, mi[-2:]], F[d, mi[-2:]])))
        m = np.array([_ratio(Y[k, mi], F[k, mi]) for k in tr])[:, None]
        today = np.array([_ratio(Y[d, mi], F[d, mi])])
        out["regression: morning ratio"].append(
            base * np.exp(_ridge(m, _ratio(Y[tr][:, ai], F[tr][:, ai])[:, None], today)))
        X = np.array([feats(k) for k in tr])
        out["regression: morning + last 2 h, per slot"].append(base * np.exp(_ridge(X, L[tr][:, ai], feats(d))))
        past5 = lambda k: train_days[train_days < k][-20:]  # noqa: E731  recent 5-min shares, before day k
        tr5 = tr[tr >= train_days[min(20, train_days.size - 1)]]  # days with 20 earlier days for the shares
        X5 = np.array([feats(k, True, past5(k)) for k in tr5])
        out["... + last 30 min at 5 min"].append(base * np.exp(_ridge(X5, L[tr5][:, ai], feats(d, True, past5(d)))))
        R = L[tr][:, oi]
        mu = R.mean(axis=0)
        noise = np.mean(1 / (F[tr][:, oi] + 0.5), axis=0)
        for name, (latent, cov) in (("state space: day level + AR(1)", _state_space(R - mu, noise)),
                                    ("empirical covariance", _empirical(R - mu, noise))):
            gain = np.linalg.solve(cov[np.ix_(seen, seen)], latent[np.ix_(seen, unseen)]).T
            out[name].append(base * np.exp(mu[unseen] + gain @ (L[d, mi] - mu[seen])))
    # look-ahead bound: the level regression fitted on the scored days themselves
    X = np.array([feats(k) for k in test])
    T = _ratio(Y[test][:, ai], F[test][:, ai])[:, None]
    out["look-ahead: best level regression"] = F[test][:, ai] * np.exp(_ridge(X, T, X))
    return {k: np.asarray(v) for k, v in out.items()}, mi, ai


def _empirical(R, noise):
    cov = R.T @ R / max(R.shape[0] - 1, 1)
    cov = 0.8 * cov + 0.2 * np.diag(np.diag(cov))  # the forecaster's shrinkage (model.COV_SHRINK)
    return cov - np.diag(np.minimum(noise, np.diag(cov) * 0.9)), cov


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weeks", type=int, default=8, help="weeks of rolling origins (default 8)")
    ap.add_argument("--data", type=Path, default=DATA, help=f"5-min volumes CSV (default {DATA})")
    args = ap.parse_args(argv)
    if not args.data.exists():
        print(f"bench_intraday_rules: data file not found: {args.data} (pass --data PATH)", file=sys.stderr)
        return 2
    from staffing.forecast import read_history_csv
    from staffing.forecast.accuracy import intraday_ceiling

    t0 = time.perf_counter()
    Y, F, Y5, dates = evening_forecasts(read_history_csv(args.data))
    with_f = np.flatnonzero(~np.isnan(F).all(axis=1))
    first = dates[-1].normalize() - pd.Timedelta(days=7 * args.weeks - 1)
    test = with_f[dates[with_f] >= first]
    preds, mi, ai = rules(Y, F, Y5, test, with_f)
    print(f"{args.data.name}: {test.size} days scored (afternoon = 12:00 to close, 30 min), rules trained on "
          f"the {with_f.size - test.size}+ earlier days with an evening forecast ({time.perf_counter() - t0:.0f} s)")
    rows = []
    for name, p in preds.items():
        pts = []
        for j, d in enumerate(test):
            idx = dates[d] + pd.to_timedelta(np.arange(Y.shape[1]) * 1800, unit="s")
            pts.append(pd.DataFrame({"origin": dates[d], "horizon": "day-ahead", "actual": Y[d], "model": F[d]},
                                    index=idx))
            pts.append(pd.DataFrame({"origin": dates[d], "horizon": "rest of day", "actual": Y[d, ai],
                                     "model": F[d, ai], "reforecast": p[j]}, index=idx[ai]))
        c = intraday_ceiling(pd.concat(pts)).set_index("method")
        if not rows:
            for oracle in ("evening before", "oracle: true day total", "oracle: true rest-of-day total"):
                rows.append({"rule": oracle, **c.loc[oracle, ["wape", "reduction"]].to_dict()})
        rows.append({"rule": name, **c.loc["intraday reforecast", ["wape", "reduction", "ci_lo", "ci_hi"]].to_dict()})
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4f}", na_rep=""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
