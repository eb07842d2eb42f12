"""Caller patience from censored waits: how long a caller would wait for an agent before hanging up (seconds).

A caller who abandoned after waiting w shows their patience: T = w (an *event*). A caller who was answered
after w, or was still waiting when the log ends, only shows that their patience exceeded w: T > w (a
*right-censored* observation). Averaging the waits of abandoned callers alone is biased low — the patient
callers are exactly the ones who got answered — so patience is estimated from both kinds:

- Kaplan–Meier survival S(t) = P(T > t) with Greenwood 95 % bands (``scipy.stats.ecdf`` on
  ``scipy.stats.CensoredData``);
- parametric families fitted by censored maximum likelihood, logL = Σ_events log f(w) + Σ_censored log S(w):
  exponential (closed form: rate = events / total time at risk), lognormal and Weibull (``scipy.stats``
  ``fit`` on ``CensoredData``, location fixed at 0); the smallest AIC is chosen. The 95 % CI of the mean is
  the delta method on log(mean) with the observed information (numerical Hessian of the censored logL).

Waits are measured from entering the agent queue (``enqueue``) to answer / abandon, as the model measures
patience. Abandons logged at 0 s (1 s log resolution) are counted at 0.5 s.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

FAMILIES = ("exponential", "lognormal", "weibull")
Z95 = 1.959963984540054
ZERO_EVENT_S = 0.5


def _logmean(family: str, theta: np.ndarray) -> float:
    if family == "exponential":
        return float(-theta[0])                       # theta = log rate
    if family == "lognormal":
        return float(theta[0] + 0.5 * math.exp(2 * theta[1]))      # theta = (mu, log sigma)
    k = math.exp(theta[0])                                           # weibull theta = (log k, log scale)
    return float(theta[1] + math.lgamma(1 + 1 / k))


def _frozen(family: str, theta: np.ndarray):
    if family == "exponential":
        return stats.expon(scale=math.exp(-theta[0]))
    if family == "lognormal":
        return stats.lognorm(s=math.exp(theta[1]), scale=math.exp(theta[0]))
    return stats.weibull_min(math.exp(theta[0]), scale=math.exp(theta[1]))


def _loglik(family: str, theta: np.ndarray, events: np.ndarray, censored: np.ndarray) -> float:
    d = _frozen(family, theta)
    return float(np.sum(d.logpdf(events)) + np.sum(d.logsf(censored)))


def _hessian(f, theta: np.ndarray, h: float = 1e-3) -> np.ndarray:
    k = theta.size
    H = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            H[i, j] = H[j, i] = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej)
                                 + f(theta - ei - ej)) / (4 * h * h)
    return H


@dataclass
class CensoredFamilyFit:
    """One family's censored MLE: unconstrained parameters theta, logL, AIC, mean and its 95 % CI."""

    family: str
    theta: np.ndarray
    loglik: float
    mean_s: float
    ci: tuple[float, float]

    @property
    def k(self) -> int:
        return self.theta.size

    @property
    def aic(self) -> float:
        return 2 * self.k - 2 * self.loglik

    @property
    def dist(self):
        return _frozen(self.family, self.theta)

    @property
    def cv(self) -> float:
        d = self.dist
        return float(d.std() / d.mean())


def _fit_family(family: str, events: np.ndarray, censored: np.ndarray) -> CensoredFamilyFit:
    n_ev = events.size
    if family == "exponential":
        theta = np.array([math.log(n_ev / (events.sum() + censored.sum()))])
    else:
        data = stats.CensoredData(uncensored=events, right=censored)
        if family == "lognormal":
            s, _, scale = stats.lognorm.fit(data, floc=0)
            theta = np.array([math.log(scale), math.log(s)])
        else:
            c, _, scale = stats.weibull_min.fit(data, floc=0)
            theta = np.array([math.log(c), math.log(scale)])
    loglik = _loglik(family, theta, events, censored)
    mean = math.exp(_logmean(family, theta))
    ci = (math.nan, math.nan)
    try:
        cov = np.linalg.inv(-_hessian(lambda t: _loglik(family, t, events, censored), theta))
        grad = np.array([(_logmean(family, theta + e) - _logmean(family, theta - e)) / 2e-5
                         for e in np.eye(theta.size) * 1e-5])
        var = float(grad @ cov @ grad)
        if var > 0 and math.isfinite(var):
            se = math.sqrt(var)
            ci = (mean * math.exp(-Z95 * se), mean * math.exp(Z95 * se))
    except np.linalg.LinAlgError:
        pass
    return CensoredFamilyFit(family, theta, loglik, mean, ci)


@dataclass
class PatienceFit:
    """Result of ``fit_patience``: chosen family, every family's AIC, mean with CI, Kaplan–Meier curve."""

    waits: np.ndarray
    abandoned: np.ndarray
    family: str
    candidates: dict[str, CensoredFamilyFit] = field(default_factory=dict)
    zero_events: int = 0

    @property
    def chosen(self) -> CensoredFamilyFit:
        return self.candidates[self.family]

    @property
    def mean_s(self) -> float:
        return self.chosen.mean_s

    @property
    def cv(self) -> float:
        return self.chosen.cv

    @property
    def n(self) -> int:
        return int(self.waits.size)

    @property
    def n_abandoned(self) -> int:
        return int(self.abandoned.sum())

    @property
    def naive_mean_s(self) -> float:
        """Mean wait of abandoned callers only — shown for comparison; biased low."""
        return float(self.waits[self.abandoned].mean()) if self.n_abandoned else math.nan

    @property
    def params(self) -> dict:
        return {"family": self.family, "mean_s": self.mean_s, "cv": self.cv}

    def conf_int(self) -> tuple[float, float]:
        return self.chosen.ci

    def kaplan_meier(self):
        """``scipy.stats`` ECDF result of the censored waits (``.sf`` is the survival function)."""
        data = stats.CensoredData(uncensored=self.waits[self.abandoned], right=self.waits[~self.abandoned])
        return stats.ecdf(data)

    def distribution(self) -> dict:
        out = {"family": self.family, "mean": round(self.mean_s, 3)}
        if self.family != "exponential":
            out["cv"] = round(self.cv, 4)
        return out

    def to_dict(self) -> dict:
        return {"family": self.family, "mean_s": self.mean_s, "ci": list(self.conf_int()), "cv": self.cv,
                "n": self.n, "abandoned": self.n_abandoned, "censored": self.n - self.n_abandoned,
                "naive_mean_abandoned_wait_s": self.naive_mean_s, "zero_waits_counted_at_0_5_s": self.zero_events,
                "candidates": {f: {"aic": c.aic, "loglik": c.loglik, "mean_s": c.mean_s, "ci": list(c.ci),
                                   "cv": c.cv} for f, c in self.candidates.items()}}

    def summary(self) -> str:
        lo, hi = self.conf_int()
        lines = [f"patience: {self.family}, mean {self.mean_s:.1f} s (95 % CI {lo:.1f}–{hi:.1f}), "
                 f"{self.n_abandoned} abandoned of {self.n} queued (others right-censored); "
                 f"naive mean of abandoned waits {self.naive_mean_s:.1f} s (biased low)"]
        for f, c in sorted(self.candidates.items(), key=lambda kv: kv[1].aic):
            lines.append(f"  {f:<12} AIC {c.aic:12.1f}  mean {c.mean_s:8.1f}  cv {c.cv:.2f}")
        return "\n".join(lines)

    def plot_survival(self, ax=None):
        """Kaplan–Meier survival with its 95 % band against every fitted family's survival function."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(6, 4))
        else:
            fig = ax.figure
        km = self.kaplan_meier()
        q = km.sf.quantiles
        with warnings.catch_warnings():  # Greenwood is undefined where S(t) = 0 or 1; the band is NaN there
            warnings.simplefilter("ignore", RuntimeWarning)
            band = km.sf.confidence_interval(0.95)
        ax.step(q, km.sf.probabilities, where="post", color="k", label="Kaplan–Meier")
        ax.fill_between(q, band.low.probabilities, band.high.probabilities, step="post", color="k", alpha=0.15)
        top = float(np.quantile(self.waits, 0.99)) if self.n else 1.0
        t = np.linspace(0, max(top, 1.0), 300)
        for f, c in self.candidates.items():
            ax.plot(t, c.dist.sf(t), lw=2 if f == self.family else 1, label=f"{f} (AIC {c.aic:.0f})")
        ax.set_xlim(0, max(top, 1.0))
        ax.set_xlabel("wait (s)")
        ax.set_ylabel("P(patience > t)")
        ax.set_title("Caller patience: Kaplan–Meier vs censored-MLE fits", fontsize=9)
        ax.legend(fontsize=8)
        return fig


def fit_patience(waits, abandoned, families=FAMILIES) -> PatienceFit:
    """Fit patience to ``waits`` (seconds, >= 0) with ``abandoned`` True for events, False for censored.

    Raises ValueError when there are no abandons (patience cannot be estimated: callers never gave up).
    """
    w = np.asarray(waits, dtype=float)
    ab = np.asarray(abandoned, dtype=bool)
    if w.shape != ab.shape:
        raise ValueError("patience: waits and abandoned must have the same length")
    keep = np.isfinite(w)
    w, ab = w[keep], ab[keep]
    if np.any(w < 0):
        raise ValueError(f"patience: {int(np.sum(w < 0))} negative waits (answer/abandon before enqueue)")
    if ab.sum() < 2:
        raise ValueError(f"patience: need at least 2 abandoned calls to estimate patience, got {int(ab.sum())}")
    unknown = set(families) - set(FAMILIES)
    if unknown:
        raise ValueError(f"patience: unknown families {sorted(unknown)}; allowed {list(FAMILIES)}")
    zero = ab & (w <= 0)
    w = np.where(zero, ZERO_EVENT_S, w)
    events, censored = w[ab], w[~ab]
    candidates = {f: _fit_family(f, events, censored) for f in families}
    best = min(candidates, key=lambda f: candidates[f].aic)
    return PatienceFit(w, ab, best, candidates, int(zero.sum()))
