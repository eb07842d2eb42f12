"""Fitting a duration (talk, hold, after-call work) to observed values, in seconds.

Every candidate family is fitted by maximum likelihood — lognormal (closed form on the logs), gamma (scipy,
location fixed at 0), exponential (the sample mean) — and the one with the smallest AIC = 2k − 2·logL is
chosen. Its goodness of fit is the Kolmogorov–Smirnov distance D = max |F_n(x) − F(x)| between the empirical
and the fitted distribution function (its p-value is optimistic because the parameters were estimated from
the same data). When even the best family misses by D > ``EMPIRICAL_D`` on at least ``EMPIRICAL_MIN_N``
values, the empirical distribution (the observed values, resampled) is used instead: with that much data a
visibly wrong family would distort the simulation more than resampling the data does.

Values <= 0 (e.g. zero-second ACW) cannot come from these families. When they are more than
``ZERO_SHARE`` of the values they are part of the behaviour and the empirical distribution (zeros included)
is used; otherwise they are counted, reported as ``n_nonpositive`` and left out of the fit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

FAMILIES = ("lognormal", "gamma", "exponential")
EMPIRICAL_D = 0.05
"""KS distance above which (with enough data) the empirical distribution replaces the best family."""
EMPIRICAL_MIN_N = 200
ZERO_SHARE = 0.05
Z95 = 1.959963984540054


@dataclass
class FamilyFit:
    """One family's maximum-likelihood fit: scipy frozen distribution, log-likelihood, AIC, KS distance."""

    family: str
    dist: object
    loglik: float
    k: int
    ks_d: float
    ks_p: float

    @property
    def aic(self) -> float:
        return 2 * self.k - 2 * self.loglik

    @property
    def mean(self) -> float:
        return float(self.dist.mean())

    @property
    def cv(self) -> float:
        return float(self.dist.std() / self.dist.mean())


def _fit_family(family: str, x: np.ndarray) -> FamilyFit:
    if family == "lognormal":
        logs = np.log(x)
        dist = stats.lognorm(s=max(float(logs.std()), 1e-9), scale=math.exp(float(logs.mean())))
        k = 2
    elif family == "gamma":
        a, _, scale = stats.gamma.fit(x, floc=0)
        dist = stats.gamma(a, scale=scale)
        k = 2
    elif family == "exponential":
        dist = stats.expon(scale=float(x.mean()))
        k = 1
    else:  # pragma: no cover - FAMILIES guards this
        raise ValueError(family)
    loglik = float(np.sum(dist.logpdf(x)))
    ks = stats.kstest(x, dist.cdf)
    return FamilyFit(family, dist, loglik, k, float(ks.statistic), float(ks.pvalue))


@dataclass
class DurationFit:
    """Result of ``fit_duration``: the chosen family, every candidate's AIC and KS distance, mean with CI.

    ``params`` holds mean_s and cv of the chosen distribution; ``conf_int()`` the 95 % CI of the mean
    (delta method on the log of the mean, so the interval stays positive).
    """

    name: str
    values: np.ndarray
    n_nonpositive: int
    family: str
    mean_s: float
    cv: float
    candidates: dict[str, FamilyFit] = field(default_factory=dict)
    ci: tuple[float, float] = (math.nan, math.nan)

    @property
    def n(self) -> int:
        return int(self.values.size)

    @property
    def params(self) -> dict:
        return {"family": self.family, "mean_s": self.mean_s, "cv": self.cv}

    @property
    def best(self) -> FamilyFit | None:
        """The parametric candidate with the smallest AIC (also when the empirical one was used)."""
        return min(self.candidates.values(), key=lambda c: c.aic) if self.candidates else None

    @property
    def ks_d(self) -> float:
        if self.family in ("empirical", "deterministic"):
            return 0.0
        return self.candidates[self.family].ks_d

    def conf_int(self) -> tuple[float, float]:
        return self.ci

    def distribution(self, samples_csv: str | None = None, column: str = "seconds") -> dict:
        """The fit as a scenario distribution table (``{family, mean, cv}``, or empirical samples/CSV)."""
        if self.family == "empirical":
            if samples_csv is not None:
                return {"family": "empirical", "csv": samples_csv, "column": column}
            return {"family": "empirical", "samples": [round(float(v), 3) for v in self.values]}
        out = {"family": self.family, "mean": round(self.mean_s, 3)}
        if self.family not in ("exponential", "deterministic"):
            out["cv"] = round(self.cv, 4)
        return out

    def to_dict(self) -> dict:
        return {"family": self.family, "mean_s": self.mean_s, "cv": self.cv, "n": self.n,
                "ci": list(self.ci), "n_nonpositive_excluded": self.n_nonpositive,
                "ks_d": self.ks_d,
                "candidates": {f: {"aic": c.aic, "loglik": c.loglik, "ks_d": c.ks_d, "ks_p": c.ks_p,
                                   "mean_s": c.mean, "cv": c.cv} for f, c in self.candidates.items()}}

    def summary(self) -> str:
        lines = [f"{self.name}: {self.family}, mean {self.mean_s:.1f} s (95 % CI {self.ci[0]:.1f}–{self.ci[1]:.1f}),"
                 f" cv {self.cv:.2f}, n = {self.n}"
                 + (f" ({self.n_nonpositive} values <= 0 left out)" if self.n_nonpositive else "")]
        for f, c in sorted(self.candidates.items(), key=lambda kv: kv[1].aic):
            lines.append(f"  {f:<12} AIC {c.aic:12.1f}  KS D {c.ks_d:.4f}  mean {c.mean:8.1f}  cv {c.cv:.2f}")
        return "\n".join(lines)

    def plot_qq(self, ax=None):
        """QQ plot: observed quantiles against the chosen (or best parametric) family's quantiles."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(4.5, 4.5))
        else:
            fig = ax.figure
        x = np.sort(self.values)
        cand = self.candidates.get(self.family) or self.best
        if cand is not None and x.size:
            p = (np.arange(1, x.size + 1) - 0.5) / x.size
            q = cand.dist.ppf(p)
            ax.plot(q, x, ".", ms=2, alpha=0.5)
            top = float(max(q[-1], x[-1]))
            ax.plot([0, top], [0, top], "k--", lw=1)
            ax.set_xlabel(f"{cand.family} quantile (s)")
        ax.set_ylabel("observed quantile (s)")
        ax.set_title(f"{self.name}: {self.family} (KS D {self.ks_d:.3f})", fontsize=9)
        return fig


def _mean_ci(family: str, candidate: FamilyFit | None, x: np.ndarray) -> tuple[float, float]:
    n = x.size
    if n < 2:
        return math.nan, math.nan
    mean = float(x.mean()) if candidate is None else candidate.mean
    if family == "lognormal":
        s2 = float(candidate.dist.kwds["s"]) ** 2
        se = math.sqrt(s2 / n + s2 * s2 / (2 * n))  # var(mu) + var(s²/2), independent in the MLE
    elif family == "exponential":
        lo = 2 * n * mean / stats.chi2.ppf(0.975, 2 * n)
        hi = 2 * n * mean / stats.chi2.ppf(0.025, 2 * n)
        return float(lo), float(hi)
    else:  # gamma (MLE mean = sample mean) and empirical: CLT on the log of the mean
        se = float(x.std(ddof=1) / x.mean()) / math.sqrt(n)
    return mean * math.exp(-Z95 * se), mean * math.exp(Z95 * se)


def fit_duration(values, name: str = "duration", families=FAMILIES) -> DurationFit:
    """Fit ``values`` (seconds; NaN ignored) and choose a family by AIC, or empirical when none fits.

    Raises ValueError naming ``name`` when fewer than 2 positive values remain.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if np.any(x < 0):
        raise ValueError(f"{name}: {int(np.sum(x < 0))} negative durations")
    nonpositive = int(np.sum(x <= 0))
    if x.size >= 2 and nonpositive > ZERO_SHARE * x.size:
        mean = float(x.mean())
        cv = float(x.std(ddof=1) / mean) if mean > 0 else 0.0
        fit = DurationFit(name, x, 0, "empirical", mean, cv, {}, (math.nan, math.nan))
        fit.ci = _mean_ci("empirical", None, x) if mean > 0 else (0.0, 0.0)
        return fit
    x = x[x > 0]
    if x.size < 2:
        raise ValueError(f"{name}: need at least 2 positive durations to fit, got {x.size}")
    unknown = set(families) - set(FAMILIES)
    if unknown:
        raise ValueError(f"{name}: unknown families {sorted(unknown)}; allowed {list(FAMILIES)}")
    if np.ptp(x) == 0:  # all equal (e.g. a fixed ACW the phone system adds): a deterministic duration
        return DurationFit(name, x, nonpositive, "deterministic", float(x[0]), 0.0, {}, (float(x[0]), float(x[0])))
    candidates = {f: _fit_family(f, x) for f in families}
    best = min(candidates.values(), key=lambda c: c.aic)
    if best.ks_d > EMPIRICAL_D and x.size >= EMPIRICAL_MIN_N:
        mean, cv = float(x.mean()), float(x.std(ddof=1) / x.mean())
        return DurationFit(name, x, nonpositive, "empirical", mean, cv, candidates, _mean_ci("empirical", None, x))
    return DurationFit(name, x, nonpositive, best.family, best.mean, best.cv, candidates,
                       _mean_ci(best.family, best, x))
