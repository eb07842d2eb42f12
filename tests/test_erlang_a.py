"""Erlang A (M/M/N+M) against (1) a brute-force birth-death CTMC solved with numpy linear algebra and a
tagged-caller absorbing chain, which checks the formulas themselves, and (2) an arbitrary-precision mpmath
evaluation by plain positive series (a different numerical route from the code's incomplete-gamma /
windowed sums), which checks the numerics up to 100 000 agents."""
from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from staffing.erlang_a import (
    erlang_a_abandon_probability,
    erlang_a_abandon_within,
    erlang_a_asa,
    erlang_a_average_abandon_time,
    erlang_a_mean_wait,
    erlang_a_metrics,
    erlang_a_offered_wait_exceeds,
    erlang_a_service_level,
    erlang_a_wait_probability,
    erlang_a_wait_within,
)
from staffing.erlang_c import erlang_c, erlang_c_asa, erlang_c_service_level

mp.mp.dps = 40


# ------------------------------------------------------------------------------------ brute-force CTMC
def ctmc_reference(traffic, agents, aht, patience, t, queue_cap=None):
    """Stationary birth-death chain (states 0..N+K) + the chain of a tagged caller (j callers ahead)."""
    lam, mu, th, n = traffic / aht, 1.0 / aht, 1.0 / patience, agents
    k_cap = queue_cap or int(max(150, 12 * (traffic + n)))
    size = n + k_cap + 1
    q = np.zeros((size, size))
    for i in range(size):
        if i + 1 < size:
            q[i, i + 1] = lam
        if i > 0:
            q[i, i - 1] = min(i, n) * mu + max(i - n, 0) * th
        q[i, i] = -q[i].sum()
    lhs = q.T.copy()
    lhs[-1, :] = 1.0  # replace one balance equation by the normalisation
    rhs = np.zeros(size)
    rhs[-1] = 1.0
    pi = np.linalg.solve(lhs, rhs)
    assert pi[-1] < 1e-14, "truncation too small"
    pk = pi[n:]  # arrival finds N+k: k callers ahead of it in the queue (PASTA)

    def tagged(own_abandon):
        m = np.zeros((k_cap + 3, k_cap + 3))
        served, gone = k_cap + 1, k_cap + 2
        for j in range(k_cap + 1):
            m[j, served if j == 0 else j - 1] = n * mu + j * th
            m[j, gone] = th * own_abandon
            m[j, j] = -m[j].sum()
        return m

    e_with = expm(tagged(1.0) * t)
    e_without = expm(tagged(0.0) * t)
    out = {"wait_probability": pk.sum(),
           "service_level": pi[:n].sum() + pk @ e_with[: k_cap + 1, k_cap + 1],
           "offered_wait_exceeds": pk @ (1.0 - e_without[: k_cap + 1, k_cap + 1]),
           "abandon_within": pk @ e_with[: k_cap + 1, k_cap + 2]}
    # P(served), E[T 1{served}], P(abandon), E[T 1{abandon}] by first-step recursions from j = 0 upwards
    ps = pa = ms = ma = 0.0
    p_s, p_a, m_s, m_a = [], [], [], []
    for j in range(k_cap + 1):
        r = n * mu + j * th + th
        q_up = (n * mu + j * th) / r
        prev_ps, prev_ms = (1.0, 0.0) if j == 0 else (ps, ms)
        prev_pa, prev_ma = (0.0, 0.0) if j == 0 else (pa, ma)
        ps = q_up * prev_ps
        ms = ps / r + q_up * prev_ms
        pa = th / r + q_up * prev_pa
        ma = pa / r + q_up * prev_ma
        p_s.append(ps), p_a.append(pa), m_s.append(ms), m_a.append(ma)
    pab = pk @ np.array(p_a)
    out["abandon_probability"] = pab
    out["asa_s"] = pk @ np.array(m_s) / (1.0 - pab)
    out["average_abandon_time_s"] = pk @ np.array(m_a) / pab
    # cross-check inside the reference: P(ab) = theta E[queue] / lambda (Little + abandonment rate)
    eq = np.arange(k_cap + 1) @ pk
    assert abs(th * eq / lam - pab) < 1e-10
    return out


CTMC_CASES = [  # (traffic E, agents, aht s, patience s, t s): under-, critically and over-loaded
    (10.0, 12, 180.0, 120.0, 20.0),
    (10.0, 8, 180.0, 120.0, 20.0),
    (3.0, 5, 100.0, 300.0, 10.0),
    (20.0, 15, 60.0, 30.0, 5.0),
    (5.0, 10, 200.0, 50.0, 0.0),
    (0.5, 1, 300.0, 60.0, 30.0),
    (40.0, 40, 240.0, 600.0, 60.0),
]


@pytest.mark.parametrize("case", CTMC_CASES)
def test_erlang_a_matches_brute_force_ctmc(case):
    ref = ctmc_reference(*case)
    got = erlang_a_metrics(*case)
    # tolerance: the dense solve and expm of the truncated chain are accurate to ~1e-12 relative;
    # 1e-8 leaves room for the conditioning of the ~500-state generator
    for key, value in ref.items():
        assert got[key] == pytest.approx(value, rel=1e-8, abs=1e-14), key
    # single-purpose wrappers agree with the all-at-once function
    a, n, aht, pat, t = case
    assert erlang_a_wait_probability(a, n, aht, pat) == pytest.approx(ref["wait_probability"], rel=1e-8)
    assert erlang_a_abandon_probability(a, n, aht, pat) == pytest.approx(ref["abandon_probability"], rel=1e-8)
    assert erlang_a_service_level(a, n, aht, pat, t) == pytest.approx(ref["service_level"], rel=1e-8)
    assert erlang_a_offered_wait_exceeds(a, n, aht, pat, t) == pytest.approx(ref["offered_wait_exceeds"], rel=1e-8)
    assert erlang_a_asa(a, n, aht, pat) == pytest.approx(ref["asa_s"], rel=1e-8)
    assert erlang_a_average_abandon_time(a, n, aht, pat) == pytest.approx(ref["average_abandon_time_s"], rel=1e-8)
    assert erlang_a_abandon_within(a, n, aht, pat, t) == pytest.approx(ref["abandon_within"], rel=1e-8, abs=1e-14)
    assert erlang_a_mean_wait(a, n, aht, pat) == pytest.approx(ref["abandon_probability"] * pat, rel=1e-8)
    # P(W <= t) for W = min(V, tau):  1 - P(V > t) P(tau > t)
    assert erlang_a_wait_within(a, n, aht, pat, t) == pytest.approx(
        1 - ref["offered_wait_exceeds"] * np.exp(-t / pat), rel=1e-8)


# ---------------------------------------------------------------------------------- mpmath reference
def mp_erlang_a(traffic, agents, aht, patience, t, dps=40):
    """Erlang A by positive series in ``dps``-digit arithmetic (terms t_k = prod_{i<=k} y/(x+i))."""
    with mp.workdps(dps):
        a, n = mp.mpf(traffic), int(agents)
        aht, patience, t = mp.mpf(aht), mp.mpf(patience), mp.mpf(t)
        x, y, th = n * patience / aht, a * patience / aht, 1 / patience
        inv_b = mp.mpf(1)
        for k in range(1, n + 1):
            inv_b = 1 + k / a * inv_b
        eps = mp.mpf(10) ** (-dps - 5)

        def series(z, xx, weights=False):
            s = d = xh = g = mp.mpf(0)
            term = mp.mpf(1)
            h = gg = mp.mpf(0)
            k = 0
            while True:
                s += term
                if weights and k > 0:
                    d += k * term
                    xh += xx * h * term
                    g += gg * term
                k += 1
                term = term * z / (xx + k)
                h += 1 / (xx + k)
                gg += k / (xx + k)
                if k > z - xx and term < s * eps:
                    return s, d, xh, g

        s, d, xh, g = series(y, x, weights=True)
        pi_n = 1 / (inv_b - 1 + s)
        y_t = y * mp.exp(-th * t)
        s_t, *_ = series(y_t, x)
        s1, *_ = series(y, x + 1)
        s1_t, *_ = series(y_t, x + 1)
        p_ab = pi_n * d / y
        exceed = pi_n * s_t * mp.exp(y - y_t - x * th * t)
        ans_any_wait = pi_n * x / (x + 1) * s1  # P(answered, V > 0)
        ans_after = pi_n * x / (x + 1) * s1_t * mp.exp(y - y_t - (x + 1) * th * t)
        # answered within t = answered at once (pi_N (1/B - 1)) + answered after waiting in (0, t]
        sl = pi_n * (inv_b - 1) + (ans_any_wait - ans_after)
        out = {"wait_probability": pi_n * s, "abandon_probability": p_ab,
               "service_level": sl, "offered_wait_exceeds": exceed,
               "asa_s": pi_n * patience * xh / y / (1 - p_ab),
               "average_abandon_time_s": pi_n * patience * g / y / p_ab}
        return {k: float(v) for k, v in out.items()}


MP_CASES = [  # includes A = 0.5, 10, 100, 950, 9 500, 95 000 and 100 000 agents
    (0.5, 1, 180.0, 120.0, 20.0), (0.5, 4, 180.0, 120.0, 20.0),
    (10.0, 7, 180.0, 120.0, 20.0), (10.0, 14, 180.0, 120.0, 20.0), (10.0, 30, 180.0, 60.0, 20.0),
    (100.0, 90, 240.0, 90.0, 20.0), (100.0, 105, 240.0, 90.0, 20.0), (100.0, 140, 240.0, 90.0, 20.0),
    (950.0, 900, 300.0, 60.0, 20.0), (950.0, 960, 300.0, 60.0, 20.0), (950.0, 1050, 300.0, 60.0, 20.0),
    (9500.0, 9000, 300.0, 30.0, 10.0), (9500.0, 9550, 300.0, 30.0, 10.0), (9500.0, 9800, 300.0, 30.0, 10.0),
    (95000.0, 100000, 600.0, 30.0, 5.0), (99500.0, 100000, 600.0, 30.0, 5.0),
    (9500.0, 9300, 60.0, 600.0, 10.0),  # patient callers: x, y ~ 1e5 (long windowed sums)
    # heavy overload with small t: service level down to ~1e-156 (tests the no-cancellation branch); the
    # reference then needs ~400 digits because it subtracts two O(1) series
    (863.0, 647, 30.0, 363.0, 0.0, 400), (863.0, 647, 30.0, 363.0, 0.5, 400), (100.0, 60, 240.0, 90.0, 1.0, 400),
]


@pytest.mark.parametrize("case", MP_CASES)
def test_erlang_a_matches_mpmath(case):
    ref = mp_erlang_a(*case)
    got = erlang_a_metrics(*case[:5])
    for key, v in ref.items():
        # the 1e-9 relative accuracy; values below 1e-300 are allowed to underflow to 0
        assert abs(float(got[key]) - v) <= 1e-9 * abs(v) + 1e-300, (key, float(got[key]), v)


def test_erlang_a_vectorised_matches_scalar_calls():
    a = np.array([c[0] for c in MP_CASES[:11]])
    n = np.array([c[1] for c in MP_CASES[:11]])
    aht = np.array([c[2] for c in MP_CASES[:11]])
    pat = np.array([c[3] for c in MP_CASES[:11]])
    vec = erlang_a_metrics(a, n, aht, pat, 20.0)
    for i in range(len(a)):
        one = erlang_a_metrics(a[i], n[i], aht[i], pat[i], 20.0)
        for key in ("service_level", "abandon_probability", "asa_s", "average_abandon_time_s"):
            assert vec[key][i] == pytest.approx(float(one[key]), rel=1e-12)


def test_edge_cases():
    m = erlang_a_metrics([0.0, 3.0], [2, 0], 180.0, 60.0, 20.0)
    # no traffic: nobody waits; zero agents: everybody abandons, after their whole patience
    assert m["wait_probability"].tolist() == [0.0, 1.0]
    assert m["abandon_probability"].tolist() == [0.0, 1.0]
    assert m["service_level"].tolist() == [1.0, 0.0]
    assert m["asa_s"][0] == 0.0 and np.isinf(m["asa_s"][1])
    assert m["average_abandon_time_s"][1] == 60.0
    assert m["average_abandon_time_s"][0] == pytest.approx(1 / (2 / 180 + 1 / 60))
    # heavy overload stays finite (no overflow of e^y)
    big = erlang_a_metrics(50000.0, 100, 300.0, 600.0, 20.0)
    assert big["abandon_probability"] == pytest.approx(1 - 100 / 50000, rel=1e-3)
    assert all(np.isfinite(v).all() for v in big.values())


@pytest.mark.parametrize("kwargs,match", [
    (dict(traffic=-1.0), "traffic"), (dict(agents=2.5), "agents"), (dict(aht_s=0.0), "aht_s"),
    (dict(patience_mean_s=0.0), "patience_mean_s"), (dict(patience_mean_s=np.inf), "patience_mean_s"),
    (dict(t_s=-3.0), "t_s"),
])
def test_invalid_input_names_the_argument(kwargs, match):
    args = dict(traffic=5.0, agents=6, aht_s=180.0, patience_mean_s=60.0, t_s=20.0) | kwargs
    with pytest.raises(ValueError, match=match):
        erlang_a_metrics(args["traffic"], args["agents"], args["aht_s"], args["patience_mean_s"], args["t_s"])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(traffic=st.floats(0.05, 2000), aht=st.floats(30, 600), patience=st.floats(5, 1200), t=st.floats(0, 120),
       start=st.floats(0.3, 1.3))
def test_monotone_in_agents(traffic, aht, patience, t, start):
    n = np.maximum(np.floor(start * traffic), 1) + np.arange(6)
    m = erlang_a_metrics(traffic, n, aht, patience, t)
    assert (np.diff(m["service_level"]) >= -1e-12).all()
    assert (np.diff(m["asa_s"]) <= 1e-12 * m["asa_s"][:-1]).all()
    assert (np.diff(m["abandon_probability"]) <= 1e-12).all()
    assert ((0 <= m["service_level"]) & (m["service_level"] <= 1)).all()


@settings(max_examples=25, deadline=None, derandomize=True)
@given(traffic=st.floats(0.1, 500), extra=st.integers(0, 30), aht=st.floats(30, 600), t=st.floats(0, 60))
def test_tends_to_erlang_c_as_patience_grows(traffic, extra, aht, t):
    n = np.ceil(1.1 * traffic + 1) + extra
    # Erlang C's mean wait here is <= aht / (0.1 A + 1) <= 600 s, so with a 1e9 s patience the fraction
    # abandoning (= E[W] / patience) is <= 6e-7 and every measure is within ~1e-6 relative of Erlang C
    m = erlang_a_metrics(traffic, n, aht, 1e9, t)
    assert m["wait_probability"] == pytest.approx(float(erlang_c(traffic, n)), rel=1e-5, abs=1e-12)
    assert m["service_level"] == pytest.approx(float(erlang_c_service_level(traffic, n, aht, t)), rel=1e-5)
    asa_c = float(erlang_c_asa(traffic, n, aht))
    # Erlang C's ASA averages over all calls; Erlang A's over answered ones -> equal in the limit
    assert m["asa_s"] == pytest.approx(asa_c, rel=1e-5, abs=1e-9)
    assert m["abandon_probability"] < 1e-6


# ------------------------------------------------ service level at t = 0 and t -> 0 (issue 18's mutation run)
LOW_SL_CASES = [  # (traffic E, agents, aht s, patience s, t s): SL < 0.5, where the positive form is used
    (20.0, 10, 180.0, 60.0, 0.0),      # overloaded, y_t >= x + 1: upper incomplete-gamma tails
    (0.9, 1, 180.0, 180.0, 0.0),       # y_t < x + 1: lower incomplete gamma
    (4.0, 1, 60.0, 30.0, 1e-14),       # t -> 0: the tails' difference rounds to <= 0 (upper side)
    (2.0, 2, 60.0, 180.0, 1e-14),      # ... and on the lower side
    (8.0, 2, 60.0, 180.0, 1e-14),      # the difference underflows to exactly 0 with t > 0
    (1.0, 1, 180.0, 180.0, 1e-14),
]


@pytest.mark.parametrize("case", LOW_SL_CASES)
def test_low_service_level_near_t_zero_matches_the_chain_without_warnings(case):
    """The rounding of a vanishing incomplete-gamma difference must neither leak a RuntimeWarning nor a nan:
    the chain's SL at t (continuous in t) is the reference; tolerance as in the CTMC test above."""
    import warnings
    ref = ctmc_reference(*case)["service_level"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = erlang_a_service_level(*case)
    assert np.isfinite(got)
    assert got == pytest.approx(ref, rel=1e-8, abs=1e-14)


@pytest.mark.parametrize("t", [np.inf, 1e7])   # t = inf, and a t whose exp(-t / patience) underflows to 0
def test_a_threshold_beyond_every_wait(t):
    """Every offered call has stopped waiting by t: the answered within t are all the answered, nobody's offered
    wait exceeds t, and the abandons within t are all the abandons (the chain's values at t = inf)."""
    ref = ctmc_reference(10.0, 8, 180.0, 120.0, 0.0)
    got = erlang_a_metrics(10.0, 8, 180.0, 120.0, t)
    assert got["offered_wait_exceeds"] == 0.0 and got["answered_after"] == 0.0
    assert got["wait_within"] == 1.0
    assert got["service_level"] == pytest.approx(1.0 - ref["abandon_probability"], rel=1e-8)
    assert got["abandon_within"] == pytest.approx(ref["abandon_probability"], rel=1e-8)


@pytest.mark.parametrize("bad,message", [
    ({"traffic": -1.0}, "traffic must be >= 0"),
    ({"agents": 1.5}, "agents must be whole numbers"),
    ({"aht_s": 0.0}, "aht_s must be > 0"),
    ({"patience_mean_s": -1.0}, "patience_mean_s must be > 0"),
    ({"t_s": -2.0}, "t_s must be >= 0"),
])
def test_error_message_starts_with_the_argument_name(bad, message):
    args = {"traffic": 10.0, "agents": 8, "aht_s": 180.0, "patience_mean_s": 120.0, "t_s": 20.0} | bad
    with pytest.raises(ValueError) as err:
        erlang_a_metrics(**args)
    assert str(err.value).startswith(message)


def test_no_agents_everybody_waits_until_their_patience_ends():
    """N = 0: W = tau ~ Exp(patience): P(W <= t) = 1 - exp(-t / patience), all of it abandons; nobody answered."""
    got = erlang_a_metrics(3.0, 0, 180.0, 60.0, 30.0)
    assert got["offered_wait_exceeds"] == 1.0 and got["service_level"] == 0.0
    assert got["wait_within"] == pytest.approx(1.0 - np.exp(-0.5), rel=1e-12)
    assert got["abandon_within"] == pytest.approx(1.0 - np.exp(-0.5), rel=1e-12)
    assert got["average_abandon_time_s"] == 60.0 and got["asa_s"] == np.inf


def test_asa_only_mode_gives_the_same_asa_and_no_abandon_time():
    case = (10.0, 8, 180.0, 120.0, 20.0)
    ref = ctmc_reference(*case)
    got = erlang_a_metrics(*case, waits="asa")
    assert got["asa_s"] == pytest.approx(ref["asa_s"], rel=1e-8)
    assert np.isnan(got["average_abandon_time_s"])       # documented: not computed in this mode


def test_extreme_loads_without_warnings_and_every_output_shaped_like_the_inputs():
    import warnings
    traffic = np.array([[1000.0], [1e-3]])     # S(x, y) overflows e^700 / the abandon probability underflows to 0
    agents = np.array([10, 200])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = erlang_a_metrics(traffic, agents, 100.0, 100.0, 20.0)
    for key, value in got.items():
        assert np.shape(value) == (2, 2), key
    assert got["abandon_probability"][1, 1] == 0.0
    # nobody abandons: the abandon-time limit 1 / (N / aht + 1 / patience)
    assert got["average_abandon_time_s"][1, 1] == pytest.approx(1.0 / (200 / 100.0 + 1 / 100.0), rel=1e-12)
    assert 0.0 < got["abandon_probability"][0, 0] < 1.0
