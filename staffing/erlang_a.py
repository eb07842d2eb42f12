"""Erlang A (Palm's M/M/N+M): Erlang C with callers who hang up after an exponential patience.

Model and units
---------------
Poisson arrivals at rate lambda = traffic / aht_s (calls/s); N = ``agents`` identical agents with
exponential handle time of mean ``aht_s`` (s); FCFS queue; every caller has an independent exponential
patience of mean ``patience_mean_s`` (s, finite, > 0) and abandons when the wait would exceed it.
``traffic`` is the offered load A = lambda * aht_s in Erlangs.  A stable steady state exists for every
N >= 0, also when N <= A (the abandonments keep the queue finite).

Waiting times used below (all per *offered* call, i.e. per arrival that reaches the queue):
  V  = offered ("virtual") wait: the time the caller would wait until an agent picks up if infinitely
       patient (0 when an agent is free on arrival);
  tau = the caller's patience; the call is answered iff V < tau, abandoned otherwise;
  W  = min(V, tau) = the time the caller actually spends in the queue.

Functions
---------
erlang_a_wait_probability     P(V > 0)            probability an arrival has to wait (finds all agents busy)
erlang_a_abandon_probability  P(tau <= V)         fraction of offered calls that abandon
erlang_a_service_level        P(V <= t, V < tau)  **answered within t seconds divided by all offered calls**
                                                  (abandoned calls count in the denominator, not the numerator)
erlang_a_offered_wait_exceeds P(V > t)            unconditional tail of the offered wait, all arrivals
erlang_a_wait_within          P(W <= t)           all arrivals that were answered or abandoned within t
erlang_a_abandon_within       P(tau <= min(V, t)) abandoned after waiting at most t (e.g. "short abandons")
erlang_a_asa                  E[V | V < tau]      average speed of answer of *answered* calls (s)
erlang_a_average_abandon_time E[W | tau <= V]     mean wait of abandoned calls before hanging up (s)
erlang_a_mean_wait            E[W] = P(ab) * patience_mean_s   mean queue time of all offered calls (s)
erlang_a_metrics              all of the above at once (shares the expensive part)

Formulas (Garnett, Mandelbaum & Reiman 2002; Mandelbaum & Zeltyn 2004/2009, exponential patience)
-----------------------------------------------------------------------------------------------
With x = N mu / theta = N patience/aht, y = lambda / theta = A patience/aht, P(a, z) the regularised lower
incomplete gamma and f(a, z) = e^-z z^a / Gamma(a+1):
  S(x, y) = P(x, y) / f(x, y)  (Garnett et al.'s A(x, y)),  V_B = 1/B(N, A) - 1  (Erlang B),
  pi_N = 1 / (V_B + S)   (stationary probability that exactly N calls are in the system),
  P(V > 0) = pi_N S,    P(V > t) = pi_N P(x, y e^{-theta t}) / f(x, y),
  P(answered, V > t) = pi_N x/(x+1) P(x+1, y e^{-theta t}) / f(x+1, y),
  P(ab) = pi_N D,  D = sum_{k>=1} k f(x+k, y) / (y f(x, y)) = (x + (y - x) S) / y,
  E[V; answered] = pi_N patience/(y f) sum_{k>=1} f(x+k, y) x sum_{i<=k} 1/(x+i),
  E[W; abandoned] = pi_N patience/(y f) sum_{k>=1} f(x+k, y) sum_{i<=k} i/(x+i).
Everything is evaluated in log-space with scipy.special.gammainc and, where it underflows or where the
closed form would cancel, positive windowed sums of Poisson-like terms (``staffing._numerics``), so the
functions are accurate (relative error ~1e-12) up to 100 000 agents and never overflow.
Edge cases: traffic = 0 -> nobody waits (the abandon time is the limit 1/(N/aht + 1/patience));
agents = 0 -> everybody abandons, ASA of answered calls = inf (there are none).
"""
from __future__ import annotations

import numpy as np
from scipy import special as sc

from staffing._numerics import (
    check_count,
    check_nonnegative,
    check_positive,
    log_poisson_f,
    log_upper_gamma,
    upward_log_sums,
)
from staffing.erlang_b import erlang_b_log_ratio

_GAMMAINC_FLOOR = 1e-280


def _log_lower_gamma(a: np.ndarray, z: np.ndarray, cache: dict | None = None) -> np.ndarray:
    """log P(a, z) (regularised lower incomplete gamma), a > 0, z >= 0, via gammainc or a windowed sum."""
    a, z = np.broadcast_arrays(np.asarray(a, float), np.asarray(z, float))
    p = sc.gammainc(a, z)
    out = np.empty(a.shape)
    ok = p > _GAMMAINC_FLOOR
    out[ok] = np.log(p[ok])
    out[z == 0] = -np.inf
    bad = ~ok & (z > 0)
    if bad.any():
        ab, zb = a[bad], z[bad]
        # P(a, z) = sum_{k>=0} f(a+k, z) = f(a, z) + sum_{k>=1} f(a+k, z)
        sums = upward_log_sums(ab, zb, weights=("one",))["one"]
        out[bad] = np.logaddexp(log_poisson_f(ab, zb), sums)
    return out


def _broadcast_inputs(traffic, agents, aht_s, patience_mean_s, t_s=None):
    a = check_nonnegative(traffic, "traffic")
    n = check_count(agents, "agents")
    aht = check_positive(aht_s, "aht_s")
    pat = check_positive(patience_mean_s, "patience_mean_s")
    arrays = [a, n, aht, pat]
    if t_s is not None:
        arrays.append(check_nonnegative(t_s, "t_s", allow_inf=True))
    return np.broadcast_arrays(*arrays)


def erlang_a_metrics(traffic, agents, aht_s, patience_mean_s, t_s=None, *, waits: bool = True) -> dict:
    """All Erlang A measures at once (see the module docstring for definitions); arrays broadcast.

    Keys: ``wait_probability``, ``abandon_probability``, ``answered_probability``, ``mean_wait_s``, and
    when ``waits``: ``asa_s`` (answered calls), ``average_abandon_time_s`` (``waits="asa"``: only the
    ASA, the average abandon time is then nan; a little faster); when ``t_s`` is given:
    ``service_level`` (answered within t / offered), ``offered_wait_exceeds`` (P(V > t)),
    ``answered_after`` (P(answered, V > t)), ``wait_within`` (P(W <= t)), ``abandon_within``.
    """
    arrs = _broadcast_inputs(traffic, agents, aht_s, patience_mean_s, t_s)
    a, n, aht, pat = (np.ravel(v) for v in arrs[:4])
    shape = arrs[0].shape
    t = np.ravel(arrs[4]) if t_s is not None else None
    size = a.size
    res: dict[str, np.ndarray] = {}

    pw = np.zeros(size)
    pab = np.zeros(size)
    asa = np.zeros(size)
    aab = np.zeros(size)
    sl = np.ones(size) if t is not None else None
    vex = np.zeros(size) if t is not None else None
    aft = np.zeros(size) if t is not None else None

    # edge cases
    no_agents = n == 0
    no_traffic = (a == 0) & ~no_agents
    pw[no_agents] = 1.0
    pab[no_agents] = 1.0
    asa[no_agents] = np.inf
    aab[no_agents] = pat[no_agents]
    aab[no_traffic] = 1.0 / (n[no_traffic] / aht[no_traffic] + 1.0 / pat[no_traffic])
    if t is not None:
        sl[no_agents] = 0.0
        vex[no_agents] = 1.0

    m = ~no_agents & ~no_traffic
    if m.any():
        am, nm, ahtm, patm = a[m], n[m], aht[m], pat[m]
        x = nm * patm / ahtm
        y = am * patm / ahtm
        theta = 1.0 / patm
        logf = log_poisson_f(x, y)
        log_p = _log_lower_gamma(x, y)
        log_s = log_p - logf
        u_b = erlang_b_log_ratio(am, nm)  # log(1/B - 1)
        log_pi = -np.logaddexp(u_b, log_s)
        pw_m = np.exp(log_pi + log_s)

        # D = (x + (y - x) S) / y, with a positive windowed sum where the closed form would cancel
        log_d = np.empty(x.shape)
        over = y >= x
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            log_d[over] = log_s[over] + np.log((y - x)[over] + x[over] * np.exp(-log_s[over])) - np.log(y[over])
            val = x - (x - y) * np.exp(log_s)
        under = ~over
        closed = under & (val > 1e-3 * x)
        log_d[closed] = np.log(val[closed]) - np.log(y[closed])
        need_sum = under & ~closed
        weights = ("k", "xh", "g") if waits is True else ("k", "xh") if waits == "asa" else ("k",)
        sums = {w: np.full(x.shape, np.nan) for w in weights}
        if len(weights) > 1:
            idx = np.arange(x.size)
        else:
            idx = np.flatnonzero(need_sum)
        if idx.size:
            got = upward_log_sums(x[idx], y[idx], weights=weights)
            for w in weights:
                sums[w][idx] = got[w]
        log_d[need_sum] = sums["k"][need_sum] - logf[need_sum] - np.log(y[need_sum])
        pab_m = np.exp(log_pi + log_d)

        pw[m] = pw_m
        pab[m] = pab_m
        if waits:
            common = log_pi + np.log(patm) - logf - np.log(y)
            e_ans = np.exp(common + sums["xh"])
            e_ab = np.exp(common + sums["g"]) if "g" in sums else np.full(x.shape, np.nan)
            p_ans = _answered_probability(log_pi, u_b, x, y, pab_m)
            with np.errstate(divide="ignore", invalid="ignore"):
                asa[m] = np.where(p_ans > 0, e_ans / p_ans, np.inf)
                aab[m] = np.where(pab_m > 0, e_ab / pab_m, 1.0 / (nm / ahtm + theta))
        if t is not None:
            tm = t[m]
            with np.errstate(invalid="ignore"):
                yt = y * np.exp(-theta * tm)
            log_vex = log_pi + _log_lower_gamma(x, yt) - logf
            log_aft = log_pi + np.log(x / (x + 1.0)) + _log_lower_gamma(x + 1.0, yt) - log_poisson_f(x + 1.0, y)
            vex_m = np.exp(log_vex)
            aft_m = np.exp(log_aft)
            p_ans = _answered_probability(log_pi, u_b, x, y, pab_m)
            sl_m = p_ans - aft_m
            low = sl_m < 0.5  # small SL: avoid the subtraction, use the positive form
            if low.any():
                sl_m[low] = _low_service_level(log_pi[low], u_b[low], x[low], y[low], yt[low], sl_m[low])
            sl[m] = np.clip(np.minimum(sl_m, p_ans), 0.0, 1.0)  # answered within t <= answered
            vex[m] = vex_m
            aft[m] = aft_m

    res["wait_probability"] = pw.reshape(shape)
    res["abandon_probability"] = pab.reshape(shape)
    res["answered_probability"] = (1.0 - pab).reshape(shape)
    res["mean_wait_s"] = (pab * pat).reshape(shape)
    if waits:
        res["asa_s"] = asa.reshape(shape)
        res["average_abandon_time_s"] = aab.reshape(shape)
    if t is not None:
        decay = np.exp(-t / pat)
        res["service_level"] = sl.reshape(shape)
        res["offered_wait_exceeds"] = vex.reshape(shape)
        res["answered_after"] = aft.reshape(shape)
        res["wait_within"] = (1.0 - vex * decay).reshape(shape)
        res["abandon_within"] = np.clip(pab - vex * decay + aft, 0.0, 1.0).reshape(shape)
    return res


def _answered_probability(log_pi, u_b, x, y, pab):
    """P(answered) = 1 - P(ab), or in the overloaded case the positive form pi_N (V_B + x/(x+1) S(x+1, y))."""
    out = 1.0 - pab
    hard = pab > 0.5
    if hard.any():
        xh, yh = x[hard], y[hard]
        log_s1 = _log_lower_gamma(xh + 1.0, yh) - log_poisson_f(xh + 1.0, yh)
        out[hard] = np.exp(log_pi[hard] + np.logaddexp(u_b[hard], np.log(xh / (xh + 1.0)) + log_s1))
    return out


def _low_service_level(log_pi, u_b, x, y, yt, fallback):
    """SL = pi_N (V_B + x/(x+1) (P(x+1, y) - P(x+1, y_t)) / f(x+1, y))  (both parts >= 0).

    The incomplete-gamma difference is taken on the side of the mode x+1 where it does not cancel: upper
    tails Q in log-space when y_t >= x+1, lower P otherwise.  ``fallback`` (1 - P(ab) - P(ans, V > t),
    accurate to ~1e-16 absolute) is kept where the difference is not positive and finite.
    """
    a1 = x + 1.0
    upper = yt >= a1
    log_diff = np.full(x.shape, -np.inf)
    if upper.any():
        lq_t = log_upper_gamma(a1[upper], yt[upper])
        lq = log_upper_gamma(a1[upper], y[upper])
        with np.errstate(divide="ignore", invalid="ignore"):
            log_diff[upper] = lq_t + np.log(-np.expm1(lq - lq_t))
    low = ~upper
    if low.any():
        with np.errstate(divide="ignore", invalid="ignore"):  # a difference rounded to <= 0: the fallback
            log_diff[low] = np.log(sc.gammainc(a1[low], y[low]) - sc.gammainc(a1[low], yt[low]))
    exact_zero = yt == y  # t = 0: nobody is answered after a positive wait within 0 s
    log_diff[exact_zero] = -np.inf
    usable = ~np.isnan(log_diff) & (exact_zero | np.isfinite(log_diff))
    out = fallback.copy()
    if usable.any():
        u = usable
        log_part = np.log(x[u] / a1[u]) + log_diff[u] - log_poisson_f(a1[u], y[u])
        out[u] = np.exp(log_pi[u] + np.logaddexp(u_b[u], log_part))
    return out


def erlang_a_wait_probability(traffic, agents, aht_s, patience_mean_s) -> np.ndarray:
    """P(V > 0): probability that an offered call finds all agents busy and queues (M/M/N+M)."""
    return erlang_a_metrics(traffic, agents, aht_s, patience_mean_s, waits=False)["wait_probability"]


def erlang_a_abandon_probability(traffic, agents, aht_s, patience_mean_s) -> np.ndarray:
    """P(abandon): fraction of offered calls that hang up before being answered (M/M/N+M)."""
    return erlang_a_metrics(traffic, agents, aht_s, patience_mean_s, waits=False)["abandon_probability"]


def erlang_a_service_level(traffic, agents, aht_s, patience_mean_s, t_s) -> np.ndarray:
    """Service level = P(answered within t_s) / offered = P(V <= t, V < tau) (all offered calls count).

    Calls that abandon (at any time) are in the denominator only.  t_s in seconds (>= 0; t = 0 gives the
    probability of immediate answer).
    """
    return erlang_a_metrics(traffic, agents, aht_s, patience_mean_s, t_s, waits=False)["service_level"]


def erlang_a_offered_wait_exceeds(traffic, agents, aht_s, patience_mean_s, t_s) -> np.ndarray:
    """P(V > t): tail of the offered (virtual) wait over all arrivals, whether or not they later abandon."""
    return erlang_a_metrics(traffic, agents, aht_s, patience_mean_s, t_s, waits=False)["offered_wait_exceeds"]


def erlang_a_wait_within(traffic, agents, aht_s, patience_mean_s, t_s) -> np.ndarray:
    """P(W <= t), W = min(V, tau): answered or abandoned within t, over all offered calls."""
    return erlang_a_metrics(traffic, agents, aht_s, patience_mean_s, t_s, waits=False)["wait_within"]


def erlang_a_abandon_within(traffic, agents, aht_s, patience_mean_s, t_s) -> np.ndarray:
    """P(abandoned after waiting <= t) over all offered calls (e.g. t = short-abandon threshold)."""
    return erlang_a_metrics(traffic, agents, aht_s, patience_mean_s, t_s, waits=False)["abandon_within"]


def erlang_a_asa(traffic, agents, aht_s, patience_mean_s) -> np.ndarray:
    """Average speed of answer of answered calls, E[V | answered] (s); inf when agents = 0."""
    return erlang_a_metrics(traffic, agents, aht_s, patience_mean_s)["asa_s"]


def erlang_a_average_abandon_time(traffic, agents, aht_s, patience_mean_s) -> np.ndarray:
    """Mean time abandoned calls waited before hanging up, E[W | abandoned] (s)."""
    return erlang_a_metrics(traffic, agents, aht_s, patience_mean_s)["average_abandon_time_s"]


def erlang_a_mean_wait(traffic, agents, aht_s, patience_mean_s) -> np.ndarray:
    """Mean queue time of all offered calls E[min(V, tau)] = P(abandon) * patience_mean_s (s)."""
    return erlang_a_metrics(traffic, agents, aht_s, patience_mean_s, waits=False)["mean_wait_s"]
