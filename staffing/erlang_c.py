"""Erlang C (M/M/N, infinite patience, FCFS): waiting probability, service level, ASA, queue length.

Units: ``traffic`` A in Erlangs (arrival rate x mean handle time), ``agents`` N whole numbers,
``aht_s`` mean handle time in seconds, ``t_s`` service-level threshold in seconds.
All functions broadcast over numpy arrays.

Stability: a queue is only stable when N > A.  For N <= A the functions return the documented limit
instead of raising, so whole-day arrays with under-staffed intervals work: P(wait) = 1, service level 0,
P(wait > t) = 1, ASA = inf, queue length = inf, occupancy = 1.

Computation: Erlang C from Erlang B in log-space,  C = 1 / (1 + (1 - A/N) (1/B - 1)),
which is exact (no subtraction of nearly equal numbers) for any N up to 1e5 and beyond.
"""
from __future__ import annotations

import numpy as np
from scipy import special as sc

from staffing._numerics import check_count, check_nonnegative, check_positive
from staffing.erlang_b import erlang_b_log_ratio


def _prepare(traffic, agents):
    a = check_nonnegative(traffic, "traffic")
    n = check_count(agents, "agents")
    a, n = np.broadcast_arrays(a, n)
    return a, n


def erlang_c_log(traffic, agents) -> np.ndarray:
    """log of the Erlang C waiting probability (0 for N <= A, -inf for A = 0 < N)."""
    a, n = _prepare(traffic, agents)
    out = np.zeros(a.shape)
    stable = n > a
    if stable.any():
        u = erlang_b_log_ratio(a[stable], n[stable])
        z = u + np.log1p(-a[stable] / n[stable])  # A / N < 1 here, so the log is finite
        out[stable] = sc.log_expit(-z)
    return out


def erlang_c(traffic, agents) -> np.ndarray:
    """Probability that an arriving call has to wait, P(W > 0), in M/M/N (Erlang C formula).

    traffic: Erlangs (>= 0); agents: whole number >= 0.  Returns 1 when agents <= traffic (unstable).
    """
    return np.exp(erlang_c_log(traffic, agents))


def erlang_c_wait_exceeds(traffic, agents, aht_s, t_s) -> np.ndarray:
    """P(W > t) for an arriving call in M/M/N:  C * exp(-(N - A) t / aht).  1 when N <= A.

    aht_s: mean handle time (s, > 0); t_s: threshold (s, >= 0).
    """
    aht = check_positive(aht_s, "aht_s")
    t = check_nonnegative(t_s, "t_s", allow_inf=True)
    a, n = _prepare(traffic, agents)
    logc = erlang_c_log(a, n)
    a, n, aht, t, logc = np.broadcast_arrays(a, n, aht, t, logc)
    with np.errstate(invalid="ignore"):  # the discarded N = A branch is 0 * inf when t = inf
        expo = np.where(n > a, -(n - a) * t / aht, 0.0)
    return np.exp(logc + expo)


def erlang_c_service_level(traffic, agents, aht_s, t_s) -> np.ndarray:
    """Service level P(W <= t) = 1 - C exp(-(N - A) t / aht) in M/M/N (fraction of all offered calls).

    With infinite patience every call is eventually answered, so this is also "answered within t divided
    by offered".  Returns 0 when N <= A (unstable).  aht_s in seconds (> 0), t_s in seconds (>= 0).
    """
    return 1.0 - erlang_c_wait_exceeds(traffic, agents, aht_s, t_s)


def erlang_c_asa(traffic, agents, aht_s) -> np.ndarray:
    """Average speed of answer (s) over all calls (those answered at once count 0): C aht / (N - A).

    inf when N <= A; aht_s in seconds (> 0).
    """
    aht = check_positive(aht_s, "aht_s")
    a, n = _prepare(traffic, agents)
    c = erlang_c(a, n)
    a, n, aht, c = np.broadcast_arrays(a, n, aht, c)
    out = np.full(a.shape, np.inf)
    s = n > a
    out[s] = c[s] * aht[s] / (n[s] - a[s])
    return out


def erlang_c_queue_length(traffic, agents) -> np.ndarray:
    """Expected number of calls waiting in the queue, Lq = C A / (N - A) (inf when N <= A)."""
    a, n = _prepare(traffic, agents)
    c = erlang_c(a, n)
    out = np.full(a.shape, np.inf)
    s = n > a
    out[s] = c[s] * a[s] / (n[s] - a[s])
    return out


def erlang_c_occupancy(traffic, agents) -> np.ndarray:
    """Agent occupancy A / N (fraction of logged-in time busy).

    1 when N <= A (unstable; N = A = 0 included), 0 when A = 0 < N."""
    a, n = _prepare(traffic, agents)
    out = np.ones(a.shape)
    s = n > a
    out[s] = a[s] / n[s]
    return out
