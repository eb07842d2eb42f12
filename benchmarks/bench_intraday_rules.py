"""Benchmark: noon update rules for the afternoon, chosen on one period and scored on a later one.

    python benchmarks/bench_intraday_rules.py [--weeks 8] [--data PATH]

Why: issue 10 asks the noon reforecast to cut the afternoon's WAPE by >= 20 % against the forecast made the
evening before.  This script replays the rolling origin of ``bench_forecast.py`` (30-min bank volumes,
afternoon = 12:00 to close): every open day after the first ``WARMUP`` gets its evening-before forecast
(``forecast_volumes`` from the days before it), and every rule below turns it into a noon update.

Honest evaluation (no rule shopping on the scored days):

* **selection period** — the ``--weeks`` weeks before the scored ones: the rule with the best reduction here
  is *the chosen rule*;
* **scored period** — the last ``--weeks`` weeks (the goal's measurement, as in ``bench_forecast.py``);
* **long period** — both together (the last 2 × ``--weeks`` weeks): the same rules on twice the days, a
  tighter measurement of the same quantity.

Every rule multiplies the evening forecast of each afternoon interval by exp(predicted log error).  The
prediction uses the day's intervals before 12:00, and its parameters come only from earlier days with an
evening forecast (maximum-likelihood fits are re-estimated every ``REFIT_EVERY`` days, on the days before):

* ``morning ratio`` / ``last hour ratio``: actual over forecast calls since opening / in the last hour;
* ``regression: morning ratio`` — the afternoon's log error on the morning's (ridge, no intercept);
* ``regression per slot: morning + last 2 h`` — each afternoon interval on both ratios; ``... + last 30 min
  at 5 min`` adds the 5-minute counts of 11:30-12:00; ``... + previous day's errors`` adds the previous
  day's whole-day and afternoon log errors (more than one evening's errors);
* ``state space`` — log errors across the day = day level + AR(1) drift + count noise (ML); the afternoon is
  the Gaussian conditional mean given the morning.  Variants: ``Huber`` (morning residuals clipped at
  ``HUBER`` sd), ``+ weekday bias`` (per-slot mean error of the same weekday, shrunk), ``+ recent bias``
  (per-slot mean error weighted to the recent days), ``+ shape tilt`` (a random linear tilt of the day's
  shape), ``heavy-tailed day level`` (two regimes: calm days and shock days, mixed by their posterior
  weight given the morning — shrinks small deviations, follows large ones);
* ``empirical covariance`` — the same conditioning with the sample covariance; ``factor model`` — with its
  first ``N_FACTORS`` principal components (a low-rank shape update);
* ``combination`` rules — the mean of the named rules' log updates;
* ``forecaster default`` — ``forecast_volumes`` itself at 12:00 (``predict._simulate_intraday``);
* ``look-ahead: best level regression`` — the morning + last 2 h level regression fitted on the scored days
  themselves (not a forecast: an optimistic bound for linear level rules; never chosen).

Prints per rule the afternoon WAPE and the reduction against the evening before with its 90 % day-bootstrap
interval (``accuracy.intraday_ceiling``) on each period, the chosen rule, and the look-ahead oracles.
Exit code 0 (a measurement), 2 without data or with too short a history for the periods.
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
HUBER = 2.0      # clip of the morning's standardised residuals (robust rule)
WEEKDAY_PSEUDO = 15.0  # pseudo-days of the all-day mean in the weekday bias
HALF_LIFE = 20.0  # days, recent-bias weights
N_FACTORS = 2
REFIT_EVERY = 5  # days between maximum-likelihood re-estimations
MIN_TRAIN = 20   # earlier days with an evening forecast needed before the first selection day
DEFAULT = "forecaster default"
LOOK_AHEAD = "look-ahead: best level regression"


def replay(series5: pd.Series, noon_from=None):
    """(30-min actuals [day, slot], evening forecasts, 5-min actuals, dates, forecaster's noon update).

    The noon update (``forecast_volumes`` with the day's calls before 12:00) is made for the days from
    ``noon_from`` on (NaN before; None: no day).
    """
    from staffing.forecast import aggregate, forecast_volumes
    from staffing.forecast.accuracy import _as_series
    from staffing.forecast.history import to_history

    hist = to_history(aggregate(series5, 30))
    h5 = to_history(series5)
    series = _as_series(hist)
    F, N = np.full_like(hist.counts, np.nan), np.full_like(hist.counts, np.nan)
    for d in np.flatnonzero(hist.open_days)[WARMUP:]:
        at = series.index[series.index.normalize() == hist.dates[d]]
        fc = forecast_volumes(series[series.index < hist.dates[d]], at=at, country=None)
        F[d, ((at - hist.dates[d]).total_seconds() // 1800).astype(int)] = fc["calls"].to_numpy()
        if noon_from is not None and hist.dates[d] >= noon_from:
            cut = hist.dates[d] + pd.Timedelta(seconds=NOON_SLOT * 1800)
            later = at[at >= cut]
            re = forecast_volumes(series[series.index < cut], at=later, country=None)
            N[d, ((later - hist.dates[d]).total_seconds() // 1800).astype(int)] = re["calls"].to_numpy()
    return hist.counts, F, h5.counts, hist.dates, N


def _ridge(X, T, x):
    B = np.linalg.solve(X.T @ X + RIDGE * np.eye(X.shape[1]), X.T @ T)
    return x @ B


def _ratio(y, f):
    return np.log(np.nansum(y, axis=-1) / np.nansum(f, axis=-1))


def _nll(R, cov):
    try:
        logdet = np.linalg.slogdet(cov)[1]
        return 0.5 * (R.shape[0] * logdet + np.einsum("ij,jk,ik->", R, np.linalg.inv(cov), R))
    except np.linalg.LinAlgError:
        return np.inf


def _state_space(R, noise, tilt=False):
    """ML fit of cov = s_u² + s_a² φ^|i−j| (+ s_t² t_i t_j) + diag(noise) to rows R; returns (latent, cov)."""
    from scipy.optimize import minimize

    n = R.shape[1]
    lag = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    t = np.linspace(-1, 1, n)

    def covs(th):
        latent = np.exp(th[0]) ** 2 + np.exp(th[1]) ** 2 * np.tanh(th[2]) ** lag
        if tilt:
            latent = latent + np.exp(th[3]) ** 2 * np.outer(t, t)
        return latent, latent + np.diag(noise)

    start = [np.log(0.04), np.log(0.03), 0.5] + ([np.log(0.02)] if tilt else [])
    return covs(minimize(lambda th: _nll(R, covs(th)[1]), start, method="Nelder-Mead").x)


def _mixture(R, noise):
    """Two-regime day level (calm / shock days, shared AR(1) drift): ([latent], [cov], shock-day share)."""
    from scipy.optimize import minimize
    from scipy.special import logsumexp

    n = R.shape[1]
    lag = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))

    def covs(th):
        drift = np.exp(th[2]) ** 2 * np.tanh(th[3]) ** lag + 1e-7 * np.eye(n)
        latent = [np.exp(th[0]) ** 2 + drift, np.exp(th[1]) ** 2 + drift]
        return latent, [m + np.diag(noise) for m in latent], 1 / (1 + np.exp(-th[4]))

    def nll(th):
        if np.any(np.abs(th[:3]) > 10):
            return np.inf
        _, cov, pi = covs(th)
        ll = np.stack([np.log(1 - pi) + _mvn_logpdf(R, cov[0]), np.log(pi) + _mvn_logpdf(R, cov[1])])
        return -logsumexp(ll, axis=0).sum() if np.isfinite(ll).all() else np.inf

    starts = ([np.log(0.025), np.log(0.08), np.log(0.03), 0.5, -1.5],  # log sds (calm, shock, drift), atanh φ,
              [np.log(0.02), np.log(0.12), np.log(0.03), 0.5, -2.5])   # logit of the shock-day share
    best = min((minimize(nll, s, method="Nelder-Mead", options={"maxiter": 3000}) for s in starts), key=lambda r: r.fun)
    return covs(best.x)


def _mvn_logpdf(X, cov):
    try:
        logdet = np.linalg.slogdet(cov)[1]
        q = np.einsum("ij,jk,ik->i", X, np.linalg.inv(cov), X)
    except np.linalg.LinAlgError:
        return np.full(X.shape[0], -np.inf)
    return -0.5 * (logdet + q + X.shape[1] * np.log(2 * np.pi))


def _empirical(R, noise):
    cov = R.T @ R / max(R.shape[0] - 1, 1)
    cov = 0.8 * cov + 0.2 * np.diag(np.diag(cov))  # the forecaster's shrinkage (model.COV_SHRINK)
    return cov - np.diag(np.minimum(noise, np.diag(cov) * 0.9)), cov


def _factor(R):
    """Covariance of R as its first N_FACTORS principal components plus a diagonal: (latent, cov)."""
    cov = R.T @ R / max(R.shape[0] - 1, 1)
    w, V = np.linalg.eigh(cov)
    V, w = V[:, ::-1][:, :N_FACTORS], w[::-1][:N_FACTORS]
    latent = (V * w) @ V.T
    return latent, latent + np.diag(np.maximum(np.diag(cov) - np.diag(latent), 1e-6))


def _condition(latent, cov, r, seen, unseen):
    return np.linalg.solve(cov[np.ix_(seen, seen)], latent[np.ix_(seen, unseen)]).T @ r


COMBINATIONS = {
    "combination: state space + regression per slot": ("state space: day level + AR(1)",
                                                       "regression per slot: morning + last 2 h"),
    "combination: Huber state space + regression per slot": ("state space, Huber morning",
                                                             "regression per slot: morning + last 2 h"),
    "combination: state space + regression + empirical": ("state space: day level + AR(1)",
                                                          "regression per slot: morning + last 2 h",
                                                          "empirical covariance"),
}


def rules(Y, F, Y5, test, train_days, weekday=None):
    """Predicted afternoon calls [len(test), afternoon slots] per rule name, plus the morning/afternoon slots.

    ``Y``/``F``: actual and evening-forecast counts [day, 30-min slot]; ``Y5``: 5-minute actuals; ``test``:
    the days to predict; ``train_days``: days with an evening forecast (each test day learns from those
    before it); ``weekday`` [day] (optional) enables the weekday-bias rule.
    """
    S = Y.shape[1]
    open_ = ~np.isnan(Y[test[0]])
    mi = np.flatnonzero(open_ & (np.arange(S) < NOON_SLOT))
    ai = np.flatnonzero(open_ & (np.arange(S) >= NOON_SLOT))
    L = np.log((Y + 0.5) / (F + 0.5))
    oi = np.flatnonzero(open_)
    seen, unseen = np.searchsorted(oi, mi), np.searchsorted(oi, ai)
    fits: dict = {}

    def ml_fit(kind, tr):
        """Maximum-likelihood fit on the training days up to the latest multiple of REFIT_EVERY (cached)."""
        use = tr[:max(len(tr) - len(tr) % REFIT_EVERY, min(len(tr), REFIT_EVERY))]
        key = (kind, use[-1], len(use))
        if key not in fits:
            R = L[use][:, oi] - L[use][:, oi].mean(axis=0)
            noise = np.mean(1 / (F[use][:, oi] + 0.5), axis=0)  # Poisson variance of the log counts
            fits[key] = _mixture(R, noise) if kind == "mixture" else _state_space(R, noise, tilt=kind == "tilt")
        return fits[key]

    def five_min_feature(d, past):
        blk = Y5[past].reshape(len(past), S, -1)
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # closed intervals: no share (NaN), not used
            share = np.nanmean(blk / blk.sum(axis=2, keepdims=True), axis=0)
        f5 = (F[d][:, None] * share).reshape(-1)
        last = np.arange(NOON_SLOT * share.shape[1] - share.shape[1], NOON_SLOT * share.shape[1])
        return _ratio(Y5[d, last], f5[last])

    def feats(d, five=False, past=None, previous=None):
        f = [_ratio(Y[d, mi], F[d, mi]), _ratio(Y[d, mi[-4:]], F[d, mi[-4:]])]
        if previous is not None:
            f += [_ratio(Y[previous, oi], F[previous, oi]), _ratio(Y[previous, ai], F[previous, ai])]
        return np.array(f + ([five_min_feature(d, past)] if five else []))

    u: dict = {}  # rule -> list of log updates of the afternoon slots
    add = lambda name, v: u.setdefault(name, []).append(v)  # noqa: E731
    for d in test:
        tr = train_days[train_days < d]
        add("morning ratio", np.full(ai.size, _ratio(Y[d, mi], F[d, mi])))
        add("last hour ratio", np.full(ai.size, _ratio(Y[d, mi[-2:]], F[d, mi[-2:]])))
        m = np.array([_ratio(Y[k, mi], F[k, mi]) for k in tr])[:, None]
        add("regression: morning ratio", np.full(ai.size, _ridge(
            m, _ratio(Y[tr][:, ai], F[tr][:, ai])[:, None], np.array([_ratio(Y[d, mi], F[d, mi])]))[0]))
        add("regression per slot: morning + last 2 h", _ridge(np.array([feats(k) for k in tr]), L[tr][:, ai], feats(d)))
        past5 = lambda k: train_days[train_days < k][-20:]  # noqa: E731  recent 5-min shares, before day k
        tr5 = tr[tr >= train_days[min(20, train_days.size - 1)]]  # days with 20 earlier days for the shares
        add("... + last 30 min at 5 min", _ridge(np.array([feats(k, True, past5(k)) for k in tr5]), L[tr5][:, ai],
                                                 feats(d, True, past5(d))))
        Xp = np.array([feats(k, previous=tr[j]) for j, k in enumerate(tr[1:])])
        add("... + previous day's errors", _ridge(Xp, L[tr[1:]][:, ai], feats(d, previous=tr[-1])))

        R = L[tr][:, oi]
        mu = R.mean(axis=0)
        r = L[d, mi] - mu[seen]
        noise = np.mean(1 / (F[tr][:, oi] + 0.5), axis=0)
        latent, cov = ml_fit("ar1", tr)
        add("state space: day level + AR(1)", mu[unseen] + _condition(latent, cov, r, seen, unseen))
        sd = np.sqrt(np.diag(cov)[seen])
        add("state space, Huber morning",
            mu[unseen] + _condition(latent, cov, np.clip(r, -HUBER * sd, HUBER * sd), seen, unseen))
        if weekday is not None:
            same = tr[weekday[tr] == weekday[d]]
            dev = (L[same][:, oi].sum(axis=0) - same.size * mu) / (same.size + WEEKDAY_PSEUDO)
            add("state space + weekday bias", mu[unseen] + dev[unseen]
                + _condition(latent, cov, r - dev[seen], seen, unseen))
        w = 0.5 ** ((tr[-1] - tr) / HALF_LIFE)
        mu_w = w @ R / w.sum()
        add("state space + recent bias", mu_w[unseen] + _condition(latent, cov, L[d, mi] - mu_w[seen], seen, unseen))
        add("state space + shape tilt", mu[unseen] + _condition(*ml_fit("tilt", tr), r, seen, unseen))
        lat2, cov2, pi = ml_fit("mixture", tr)
        lp = np.array([np.log(1 - pi) + _mvn_logpdf(r[None], cov2[0][np.ix_(seen, seen)])[0],
                       np.log(pi) + _mvn_logpdf(r[None], cov2[1][np.ix_(seen, seen)])[0]])
        post = np.exp(lp - lp.max()) / np.exp(lp - lp.max()).sum()
        add("heavy-tailed day level (calm / shock days)",
            mu[unseen] + sum(post[k] * _condition(lat2[k], cov2[k], r, seen, unseen) for k in range(2)))
        add("empirical covariance", mu[unseen] + _condition(*_empirical(R - mu, noise), r, seen, unseen))
        add(f"factor model ({N_FACTORS} components)", mu[unseen] + _condition(*_factor(R - mu), r, seen, unseen))
    u = {k: np.asarray(v) for k, v in u.items()}
    for name, parts in COMBINATIONS.items():
        u[name] = np.mean([u[p] for p in parts], axis=0)
    return {k: F[test][:, ai] * np.exp(v) for k, v in u.items()}, mi, ai


def look_ahead(Y, F, days, mi, ai):
    """Not a forecast: the morning + last 2 h level regression fitted on ``days`` themselves, applied to them."""
    X = np.array([[_ratio(Y[k, mi], F[k, mi]), _ratio(Y[k, mi[-4:]], F[k, mi[-4:]])] for k in days])
    T = _ratio(Y[days][:, ai], F[days][:, ai])[:, None]
    return F[days][:, ai] * np.exp(_ridge(X, T, X))


def _points(Y, F, P, days, ai, dates):
    """Points in the ``accuracy.backtest`` layout for ``intraday_ceiling``: days' day-ahead + afternoon rows."""
    pts = []
    for j, d in enumerate(days):
        idx = dates[d] + pd.to_timedelta(np.arange(Y.shape[1]) * 1800, unit="s")
        pts.append(pd.DataFrame({"origin": dates[d], "horizon": "day-ahead", "actual": Y[d], "model": F[d]},
                                index=idx))
        pts.append(pd.DataFrame({"origin": dates[d], "horizon": "rest of day", "actual": Y[d, ai],
                                 "model": F[d, ai], "reforecast": P[j]}, index=idx[ai]))
    return pd.concat(pts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weeks", type=int, default=8, help="weeks of the scored period and of the selection "
                    "period before it (default 8)")
    ap.add_argument("--data", type=Path, default=DATA, help=f"5-min volumes CSV (default {DATA})")
    args = ap.parse_args(argv)
    if not args.data.exists():
        print(f"bench_intraday_rules: data file not found: {args.data} (pass --data PATH)", file=sys.stderr)
        return 2
    if args.weeks < 1:
        print(f"bench_intraday_rules: --weeks must be >= 1, got {args.weeks}", file=sys.stderr)
        return 2
    from staffing.forecast import read_history_csv
    from staffing.forecast.accuracy import intraday_ceiling

    t0 = time.perf_counter()
    series5 = read_history_csv(args.data)
    last = series5.index.max().normalize()
    scored_from = last - pd.Timedelta(days=7 * args.weeks - 1)
    select_from = scored_from - pd.Timedelta(days=7 * args.weeks)
    Y, F, Y5, dates, N = replay(series5, noon_from=select_from)
    with_f = np.flatnonzero(~np.isnan(F).all(axis=1))
    periods = {"selection": with_f[(dates[with_f] >= select_from) & (dates[with_f] < scored_from)],
               "scored": with_f[dates[with_f] >= scored_from], "long": with_f[dates[with_f] >= select_from]}
    if periods["scored"].size == 0 or periods["selection"].size == 0 or \
            (with_f < periods["long"].min()).sum() < MIN_TRAIN:
        print(f"bench_intraday_rules: too short a history for two periods of {args.weeks} weeks after a "
              f"{WARMUP}-day warm-up and {MIN_TRAIN} training days; use fewer --weeks", file=sys.stderr)
        return 2
    preds, mi, ai = rules(Y, F, Y5, periods["long"], with_f, weekday=dates.day_of_week.to_numpy())
    preds[DEFAULT] = N[periods["long"]][:, ai]
    pos = {d: j for j, d in enumerate(periods["long"])}
    first_scored = periods["scored"].min()
    preds[LOOK_AHEAD] = np.full_like(preds[DEFAULT], np.nan)  # fitted on the scored days: shown for them only
    preds[LOOK_AHEAD][pos[first_scored]:] = look_ahead(Y, F, periods["scored"], mi, ai)
    rows = []
    for name, p in preds.items():
        row = {"rule": name}
        for per, days in periods.items():
            if per != "scored" and name == LOOK_AHEAD:
                continue
            c = intraday_ceiling(_points(Y, F, p[[pos[d] for d in days]], days, ai, dates)).set_index("method")
            red = c.loc["intraday reforecast"]
            row.update({f"{per} wape": red["wape"], f"{per} red": red["reduction"]})
            row[f"{per} ci"] = f"{red['ci_lo']:+.1%} .. {red['ci_hi']:+.1%}"
            if name == DEFAULT:
                row[f"_{per}"] = c
        rows.append(row)
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 250)
    sizes = {k: v.size for k, v in periods.items()}
    print(f"{args.data.name}: afternoon = 12:00 to close, 30-min intervals; selection period "
          f"{dates[periods['selection'][0]].date()} .. {dates[periods['selection'][-1]].date()} "
          f"({sizes['selection']} days), scored period {dates[first_scored].date()} .. {dates[with_f[-1]].date()} "
          f"({sizes['scored']} days), long = both ({sizes['long']} days); rules learn from the earlier days with "
          f"an evening forecast ({with_f.size} in all; {time.perf_counter() - t0:.0f} s)\n")
    shown = table.drop(columns=[c for c in table if c.startswith("_")])
    pct = lambda v: "" if pd.isna(v) else f"{v:.2%}"  # noqa: E731
    print(shown.to_string(index=False, formatters={c: pct for c in shown if c.endswith(("wape", "red"))}))
    for per in ("scored", "long"):
        c = table.loc[table["rule"] == DEFAULT, f"_{per}"].iloc[0].reset_index()
        print(f"\n{per} period, look-ahead oracles (use the day's actuals; bound any update of the level):")
        print(c.loc[c["method"] != "intraday reforecast", ["method", "wape", "reduction"]].to_string(
            index=False, formatters={"wape": pct, "reduction": pct}))
    cand = table[table["rule"] != LOOK_AHEAD]
    chosen = cand.loc[cand["selection red"].idxmax()]
    best = cand.loc[cand["scored red"].idxmax()]
    print(f"\nchosen on the selection period: {chosen['rule']} (selection {chosen['selection red']:+.1%}) -> "
          f"scored {chosen['scored red']:+.1%} (90 % CI {chosen['scored ci']}), long {chosen['long red']:+.1%} "
          f"(90 % CI {chosen['long ci']}); goal >= 20 % on the scored period: "
          f"{'met' if chosen['scored red'] >= 0.20 else 'NOT met'}")
    sel = periods["selection"]
    worst = sel[np.argmax([np.abs(Y[d, ai] - F[d, ai]).sum() for d in sel])]
    rest = sel[sel != worst]
    drop = intraday_ceiling(_points(Y, F, preds[chosen["rule"]][[pos[d] for d in rest]], rest, ai, dates))
    am, pm = (np.exp(_ratio(Y[worst, s], F[worst, s])) - 1 for s in (mi, ai))
    print(f"  the selection period's largest evening error is {dates[worst].date()} (morning {am:+.0%}, "
          f"afternoon {pm:+.0%} vs the evening forecast); without that day the chosen rule's selection reduction is "
          f"{drop.set_index('method').loc['intraday reforecast', 'reduction']:+.1%}")
    print(f"best on the scored period itself (rule shopping, optimistic): {best['rule']} {best['scored red']:+.1%}")
    rho = cand["selection red"].rank().corr(cand["scored red"].rank())
    print(f"rank correlation of the {len(cand)} rules' reductions, selection vs scored period: {rho:+.2f} "
          f"(how far a ranking on {sizes['selection']} days carries over)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
