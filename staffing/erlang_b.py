"""Erlang B (M/M/N/N loss system): blocking probability and lines needed for a blocking target.

Units: ``traffic`` in Erlangs (= calls per second x mean holding time in seconds), ``lines`` whole numbers.
All functions broadcast over numpy arrays.

Computation: 1/B(N, A) - 1 = P(Poisson(A) <= N-1) / P(Poisson(A) = N) evaluated in log-space
(``staffing._numerics.log_poisson_cdf_ratio``: scipy's regularised incomplete gamma, with a positive
windowed sum where that underflows), then B = 1 / (1 + exp(log ratio)).  No factorials, no recursion
over N, relative error ~1e-13 up to 100 000 lines.
"""
from __future__ import annotations

import numpy as np
from scipy import special as sc

from staffing._numerics import check_count, check_fraction, check_nonnegative, log_poisson_cdf_ratio


def erlang_b_log_ratio(traffic, lines) -> np.ndarray:
    """log(1/B - 1) for Erlang B (private helper shared with Erlang C/A; -inf for 0 lines, +inf for 0 traffic)."""
    a = check_nonnegative(traffic, "traffic")
    n = check_count(lines, "lines")
    a, n = np.broadcast_arrays(a, n)
    out = np.empty(a.shape)
    zero_a = a == 0
    out[zero_a] = np.where(n[zero_a] > 0, np.inf, -np.inf)
    live = ~zero_a
    out[live] = log_poisson_cdf_ratio(n[live], a[live])
    return out


def erlang_b(traffic, lines) -> np.ndarray:
    """Blocking probability B(N, A) of an M/M/N/N system (Erlang's loss formula).

    Parameters
    ----------
    traffic : offered traffic A in Erlangs (>= 0).
    lines : number of lines/servers N (whole number >= 0).

    Returns B in [0, 1]: B = 1 when N = 0, B = 0 when A = 0 and N > 0.
    """
    u = erlang_b_log_ratio(traffic, lines)
    return sc.expit(-u)


def lines_for_blocking(traffic, blocking: float, *, max_lines: int = 10_000_000) -> np.ndarray:
    """Minimal whole number of lines N with B(N, A) <= ``blocking`` (vectorised bisection over arrays).

    ``blocking`` is a fraction in (0, 1).  Returns an int64 array shaped like ``traffic``.
    """
    a = check_nonnegative(traffic, "traffic")
    p = check_fraction(blocking, "blocking")
    flat = a.ravel()
    # B(N, A) <= 1 - N/A is false for N < A(1-p)... use simple safe bounds: lo infeasible, hi feasible
    lo = np.full(flat.shape, -1.0)
    hi = np.maximum(np.ceil(flat + 4.0 * np.sqrt(flat) + 5.0), 1.0)
    while True:
        bad = erlang_b(flat, hi) > p
        if not bad.any():
            break
        lo = np.where(bad, hi, lo)
        hi = np.where(bad, 2.0 * hi + 1.0, hi)
        if hi.max() > max_lines:
            raise ValueError(f"blocking target {p} needs more than max_lines={max_lines} lines")
    while True:
        gap = hi - lo > 1
        if not gap.any():
            break
        mid = np.floor((lo + hi) / 2.0)
        mid_c = np.where(gap, np.maximum(mid, 0.0), hi)
        ok = erlang_b(flat, mid_c) <= p
        hi = np.where(gap & ok, mid_c, hi)
        lo = np.where(gap & ~ok, mid_c, lo)
    hi = np.where(flat == 0, 0.0, hi)  # no traffic, nothing to block
    return hi.astype(np.int64).reshape(a.shape)
