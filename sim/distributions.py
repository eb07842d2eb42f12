"""Duration distributions, described the way planners think: a mean and a coefficient of variation.

All values are seconds. A distribution spec is validated by pydantic (``Distribution``) and turned into a
sampler (``Distribution.sampler``) that draws from a ``numpy.random.Generator`` in vectorised blocks and hands
out Python floats one at a time (the SimPy model asks for one value per call; drawing them in blocks keeps that
cheap, and the sampler is a C-level callable, so a value costs no Python frame).

Families
--------
``exponential`` (mean), ``lognormal`` (mean, cv), ``gamma`` (mean, cv), ``erlang`` (mean, k stages; or cv
with 1/cv² a whole number), ``uniform`` (low, high — or mean, cv with cv ≤ 1/√3), ``deterministic``
(mean), ``weibull`` (mean, cv; the shape follows from cv), ``empirical`` (samples, or a CSV file and column;
resampled with replacement).
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

Family = Literal["exponential", "lognormal", "gamma", "erlang", "uniform", "deterministic", "empirical", "weibull"]

_BLOCK = 4096
MAX_S = 31 * 86400.0   # longest duration a distribution may describe: one month, seconds
MAX_CV = 10.0          # largest coefficient of variation (sd = 10 x mean)


class Distribution(BaseModel):
    """A non-negative duration distribution in seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    family: Family
    mean: float | None = Field(default=None, gt=0, le=MAX_S, description="mean, seconds (0 < mean <= 31 days)")
    cv: float | None = Field(default=None, ge=0, le=MAX_CV, description="coefficient of variation sd/mean (0..10)")
    k: int | None = Field(default=None, ge=1, le=1000, description="erlang: number of stages (1..1000)")
    low: float | None = Field(default=None, ge=0, le=MAX_S, description="uniform: lower bound, seconds (>= 0)")
    high: float | None = Field(default=None, ge=0, le=MAX_S, description="uniform: upper bound, seconds")
    samples: tuple[float, ...] | None = Field(default=None, description="empirical: observed values, seconds")
    csv: str | None = Field(default=None, description="empirical: CSV file (relative to the scenario file)")
    column: str | None = Field(default=None, description="empirical: column of the CSV file")

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data):
        # A bare number means a fixed duration: ``acw = 30``.
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"family": "deterministic", "mean": float(data)}
        return data

    @model_validator(mode="after")
    def _check_parameters(self):
        f = self.family
        need_mean = {"exponential", "lognormal", "gamma", "deterministic"}
        if f in need_mean and self.mean is None:
            raise ValueError(f"family '{f}' needs 'mean' (seconds, > 0)")
        if f == "weibull" and self.mean is None:
            raise ValueError("family 'weibull' needs 'mean' (seconds, > 0)")
        if f in {"lognormal", "gamma", "weibull"} and self.cv is None:
            raise ValueError(f"family '{f}' needs 'cv' (coefficient of variation, > 0)")
        if f == "weibull" and not 0.01 <= self.cv <= 50:
            raise ValueError(f"family 'weibull' needs 0.01 <= cv <= 50 (got {self.cv})")
        if f in {"lognormal", "gamma"} and self.cv == 0:
            raise ValueError(f"family '{f}' needs cv > 0 (use family 'deterministic' for cv = 0)")
        if f == "erlang":
            if self.mean is None:
                raise ValueError("family 'erlang' needs 'mean' (seconds, > 0)")
            if self.k is None:
                if self.cv is None or self.cv == 0:
                    raise ValueError("family 'erlang' needs 'k' (stages, >= 1) or 'cv' (> 0)")
                k = 1.0 / self.cv**2
                if k > 1000.5:
                    raise ValueError(f"erlang cv={self.cv} gives {k:.4g} stages; at most 1000 (cv >= 0.0316)")
                if abs(k - round(k)) > 1e-6:
                    raise ValueError(f"erlang cv={self.cv} gives 1/cv^2={k:.4g} stages; it must be a whole number")
                object.__setattr__(self, "k", int(round(k)))
        if f == "uniform":
            if self.low is None and self.high is None:
                if self.mean is None or self.cv is None:
                    raise ValueError("family 'uniform' needs 'low' and 'high', or 'mean' and 'cv'")
                half = self.mean * self.cv * math.sqrt(3.0)
                if half > self.mean:
                    raise ValueError(
                        f"uniform cv must be <= 1/sqrt(3) = 0.577 for non-negative times (got {self.cv})")
                object.__setattr__(self, "low", self.mean - half)
                object.__setattr__(self, "high", self.mean + half)
            elif self.low is None or self.high is None:
                raise ValueError("family 'uniform' needs both 'low' and 'high'")
            if self.high < self.low:
                raise ValueError(f"uniform 'high' ({self.high}) must be >= 'low' ({self.low})")
        if f == "empirical":
            if self.samples is None and self.csv is None:
                raise ValueError("family 'empirical' needs 'samples' (list of seconds) or 'csv' and 'column'")
            if self.samples is not None:
                if len(self.samples) == 0:
                    raise ValueError("empirical 'samples' must not be empty")
                if not all(math.isfinite(s) and 0 <= s <= MAX_S for s in self.samples):
                    raise ValueError(f"empirical 'samples' must be finite seconds in [0, {MAX_S:g}] (31 days)")
            elif self.column is None:
                raise ValueError("empirical 'csv' needs 'column'")
        return self

    def resolved(self, base_dir: Path) -> "Distribution":
        """Read an empirical CSV column (path relative to ``base_dir``) into ``samples``."""
        if self.family != "empirical" or self.samples is not None:
            return self
        import pandas as pd

        from sim.inputs import read_csv

        path = (base_dir / self.csv) if not Path(self.csv).is_absolute() else Path(self.csv)
        frame = read_csv(path, "empirical csv file")
        if self.column not in frame.columns:
            raise ValueError(f"empirical csv {path} has no column '{self.column}' (has {list(frame.columns)})")
        values = pd.to_numeric(frame[self.column].dropna(), errors="coerce").to_numpy(dtype=float)
        if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values < 0) or np.any(values > MAX_S):
            raise ValueError(f"empirical csv {path} column '{self.column}' must hold at least one number, all "
                             f"finite and in [0, {MAX_S:g}] seconds")
        return Distribution(family="empirical", samples=tuple(values.tolist()))

    def expected(self) -> float:
        """Mean in seconds."""
        if self.family == "uniform":
            return 0.5 * (self.low + self.high)
        if self.family == "empirical":
            if self.samples is None:
                raise ValueError("empirical distribution from CSV must be resolved before use")
            return float(np.mean(self.samples))
        return float(self.mean)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent values (seconds, float64 array)."""
        f = self.family
        if f == "exponential":
            return rng.exponential(self.mean, size)
        if f == "deterministic":
            return np.full(size, float(self.mean))
        if f == "lognormal":
            sigma2 = math.log1p(self.cv**2)
            mu = math.log(self.mean) - 0.5 * sigma2
            return rng.lognormal(mu, math.sqrt(sigma2), size)
        if f == "gamma":
            shape = 1.0 / self.cv**2
            return rng.gamma(shape, self.mean / shape, size)
        if f == "erlang":
            return rng.gamma(float(self.k), self.mean / self.k, size)
        if f == "weibull":
            shape = weibull_shape(self.cv)
            return self.mean / math.gamma(1.0 + 1.0 / shape) * rng.weibull(shape, size)
        if f == "uniform":
            return rng.uniform(self.low, self.high, size)
        if f == "empirical":
            if self.samples is None:
                raise ValueError("empirical distribution from CSV must be resolved before use")
            return rng.choice(np.asarray(self.samples, dtype=float), size)
        raise AssertionError(f)  # pragma: no cover - Literal guards families

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        """``sampler()`` -> the next value (s, a Python float); values are drawn from ``rng`` in blocks of 4096,
        a block when the previous one is used up."""
        return block_values(lambda: self.draw(rng, _BLOCK))


def weibull_shape(cv: float) -> float:
    """Weibull shape k whose coefficient of variation is ``cv`` (cv² = Γ(1+2/k)/Γ(1+1/k)² − 1)."""
    from scipy.optimize import brentq

    def excess(log_k: float) -> float:
        k = math.exp(log_k)
        return math.exp(math.lgamma(1 + 2 / k) - 2 * math.lgamma(1 + 1 / k)) - 1.0 - cv * cv

    return math.exp(brentq(excess, math.log(0.05), math.log(500.0), xtol=1e-12))


def block_values(draw_block: Callable[[], np.ndarray]) -> Callable[[], float]:
    """A callable handing out the values of ``draw_block()``, block after block, one at a time as Python floats;
    the next block is drawn when the previous one is used up (the moment a plain loop would draw it). It is the
    ``__next__`` of an ``itertools.chain``: no Python frame per value, only per block."""
    return itertools.chain.from_iterable(iter(lambda: draw_block().tolist(), None)).__next__


class Bernoulli:
    """Block-drawn uniform numbers compared with a probability: ``coin(p) -> bool``; ``uniform()`` the next
    number itself."""

    __slots__ = ("uniform",)

    def __init__(self, rng: np.random.Generator):
        self.uniform = block_values(lambda: rng.random(_BLOCK))

    def __call__(self, p: float) -> bool:
        return self.uniform() < p
