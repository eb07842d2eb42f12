"""Duration distributions, described the way planners think: a mean and a coefficient of variation.

All values are seconds. A distribution spec is validated by pydantic (``Distribution``) and turned into a
``Sampler`` that draws from a ``numpy.random.Generator`` in vectorised blocks and hands out Python floats
one at a time (the SimPy model asks for one value per call; drawing them in blocks keeps that cheap).

Families
--------
``exponential`` (mean), ``lognormal`` (mean, cv), ``gamma`` (mean, cv), ``erlang`` (mean, k stages; or cv
with 1/cv² a whole number), ``uniform`` (low, high — or mean, cv with cv ≤ 1/√3), ``deterministic``
(mean), ``empirical`` (samples, or a CSV file and column; resampled with replacement).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

Family = Literal["exponential", "lognormal", "gamma", "erlang", "uniform", "deterministic", "empirical"]

_BLOCK = 4096


class Distribution(BaseModel):
    """A non-negative duration distribution in seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: Family
    mean: float | None = Field(default=None, gt=0, description="mean, seconds (> 0)")
    cv: float | None = Field(default=None, ge=0, description="coefficient of variation sd/mean (>= 0)")
    k: int | None = Field(default=None, ge=1, description="erlang: number of stages (>= 1)")
    low: float | None = Field(default=None, ge=0, description="uniform: lower bound, seconds (>= 0)")
    high: float | None = Field(default=None, ge=0, description="uniform: upper bound, seconds (>= 0)")
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
        if f in {"lognormal", "gamma"} and self.cv is None:
            raise ValueError(f"family '{f}' needs 'cv' (coefficient of variation, > 0)")
        if f in {"lognormal", "gamma"} and self.cv == 0:
            raise ValueError(f"family '{f}' needs cv > 0 (use family 'deterministic' for cv = 0)")
        if f == "erlang":
            if self.mean is None:
                raise ValueError("family 'erlang' needs 'mean' (seconds, > 0)")
            if self.k is None:
                if self.cv is None or self.cv == 0:
                    raise ValueError("family 'erlang' needs 'k' (stages, >= 1) or 'cv' (> 0)")
                k = 1.0 / self.cv**2
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
                if min(self.samples) < 0 or not all(math.isfinite(s) for s in self.samples):
                    raise ValueError("empirical 'samples' must be finite and >= 0 seconds")
            elif self.column is None:
                raise ValueError("empirical 'csv' needs 'column'")
        return self

    def resolved(self, base_dir: Path) -> "Distribution":
        """Read an empirical CSV column (path relative to ``base_dir``) into ``samples``."""
        if self.family != "empirical" or self.samples is not None:
            return self
        import pandas as pd

        path = (base_dir / self.csv) if not Path(self.csv).is_absolute() else Path(self.csv)
        if not path.exists():
            raise ValueError(f"empirical csv file not found: {path}")
        frame = pd.read_csv(path)
        if self.column not in frame.columns:
            raise ValueError(f"empirical csv {path} has no column '{self.column}' (has {list(frame.columns)})")
        values = frame[self.column].dropna().astype(float).to_numpy()
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
        if f == "uniform":
            return rng.uniform(self.low, self.high, size)
        if f == "empirical":
            if self.samples is None:
                raise ValueError("empirical distribution from CSV must be resolved before use")
            return rng.choice(np.asarray(self.samples, dtype=float), size)
        raise AssertionError(f)  # pragma: no cover - Literal guards families

    def sampler(self, rng: np.random.Generator) -> "Sampler":
        return Sampler(self, rng)


class Sampler:
    """Hands out one value at a time from block-drawn samples (seconds, Python floats)."""

    __slots__ = ("_dist", "_rng", "_next")

    def __init__(self, dist: Distribution, rng: np.random.Generator):
        self._dist = dist
        self._rng = rng
        self._next = iter(()).__next__

    def __call__(self) -> float:
        try:
            return self._next()
        except StopIteration:
            self._next = iter(self._dist.draw(self._rng, _BLOCK).tolist()).__next__
            return self._next()


class Bernoulli:
    """Block-drawn uniform numbers compared with a probability: ``coin(p) -> bool``."""

    __slots__ = ("_rng", "_next")

    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._next = iter(()).__next__

    def uniform(self) -> float:
        try:
            return self._next()
        except StopIteration:
            self._next = iter(self._rng.random(_BLOCK).tolist()).__next__
            return self._next()

    def __call__(self, p: float) -> bool:
        try:
            return self._next() < p
        except StopIteration:
            return self.uniform() < p
