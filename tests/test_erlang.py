"""Erlang B and Erlang C against mpmath references, published tables, edge cases and properties."""
from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from staffing.erlang_b import erlang_b, lines_for_blocking
from staffing.erlang_c import (
    erlang_c,
    erlang_c_asa,
    erlang_c_occupancy,
    erlang_c_queue_length,
    erlang_c_service_level,
    erlang_c_wait_exceeds,
)

mp.mp.dps = 40
REL = 1e-9  # the accuracy requirement


def mp_erlang_b(traffic, lines):
    """Arbitrary-precision Erlang B by the classical recursion 1/B_k = 1 + k/A * 1/B_{k-1}."""
    a = mp.mpf(traffic)
    inv = mp.mpf(1)
    for k in range(1, int(lines) + 1):
        inv = 1 + k / a * inv
    return 1 / inv


def mp_erlang_c(traffic, agents):
    a, n = mp.mpf(traffic), mp.mpf(agents)
    b = mp_erlang_b(traffic, agents)
    return n * b / (n - a * (1 - b))


# traffic from 0.5 to 95 000 Erlangs, lines/agents from 1 to 100 000; under- and over-loaded
GRID = [(0.5, 1), (0.5, 3), (0.5, 20), (10, 5), (10, 11), (10, 14), (10, 30), (100, 90), (100, 101), (100, 120),
        (950, 900), (950, 960), (950, 1000), (950, 1100), (9500, 100), (9500, 9000), (9500, 9501), (9500, 9700),
        (9500, 10500), (95000, 100000), (99000, 100000), (99900, 100000), (100000, 30000)]


@pytest.mark.parametrize("traffic,lines", GRID)
def test_erlang_b_matches_mpmath(traffic, lines):
    ref = mp_erlang_b(traffic, lines)
    got = float(erlang_b(traffic, lines))
    assert abs(got - float(ref)) <= REL * float(ref)


@pytest.mark.parametrize("traffic,agents", [g for g in GRID if g[1] > g[0]])
def test_erlang_c_matches_mpmath(traffic, agents):
    ref = mp_erlang_c(traffic, agents)
    got = float(erlang_c(traffic, agents))
    assert abs(got - float(ref)) <= REL * float(ref)
    # service level and ASA (aht 180 s, t = 20 s) from the same reference
    aht, t = 180.0, 20.0
    a, n = mp.mpf(traffic), mp.mpf(agents)
    exceed_ref = ref * mp.exp(-(n - a) * t / aht)
    sl_ref = 1 - exceed_ref
    asa_ref = ref * aht / (n - a)
    assert abs(float(erlang_c_service_level(traffic, agents, aht, t)) - float(sl_ref)) <= REL * float(sl_ref)
    assert abs(float(erlang_c_wait_exceeds(traffic, agents, aht, t)) - float(exceed_ref)) <= REL * float(exceed_ref)
    assert abs(float(erlang_c_asa(traffic, agents, aht)) - float(asa_ref)) <= REL * float(asa_ref)
    lq_ref = ref * a / (n - a)
    assert abs(float(erlang_c_queue_length(traffic, agents)) - float(lq_ref)) <= REL * float(lq_ref)


def test_erlang_b_vectorised_whole_grid_and_tiny_values():
    a = np.array([g[0] for g in GRID])
    n = np.array([g[1] for g in GRID])
    got = erlang_b(a, n)
    ref = np.array([float(mp_erlang_b(x, y)) for x, y in GRID])
    np.testing.assert_allclose(got, ref, rtol=REL)
    # far below 1e-300 the float result underflows to 0 rather than producing nan/inf
    tiny = erlang_b(9500.0, 100000)
    assert tiny == 0.0 and float(mp_erlang_b(9500, 100000)) == 0.0


def test_erlang_b_published_table_values():
    # Erlang B table (e.g. Cooper, Introduction to Queueing Theory, App. / any Erlang B table):
    # 10 lines carry 4.46 E at 1 % and 5.08 E at 2 % blocking; B(10 lines, 5 E) = 0.0184
    assert erlang_b(5.0, 10) == pytest.approx(0.018385, abs=5e-6)
    assert erlang_b(4.46, 10) == pytest.approx(0.01, abs=2e-4)
    assert erlang_b(5.08, 10) == pytest.approx(0.02, abs=2e-4)
    # lines for 1 % blocking: 10 E -> 18 lines, 100 E -> 117 lines (standard table)
    assert lines_for_blocking([10.0, 100.0], 0.01).tolist() == [18, 117]


def test_lines_for_blocking_is_minimal():
    a = np.array([0.0, 0.3, 7.7, 42.0, 980.0])
    n = lines_for_blocking(a, 0.02)
    assert n[0] == 0
    b_at = erlang_b(a[1:], n[1:])
    b_below = erlang_b(a[1:], n[1:] - 1)
    assert (b_at <= 0.02).all() and (b_below > 0.02).all()


def test_published_worked_example_erlang_c():
    # callcentrehelper.com "Erlang C formula - made simple" worked example: 100 calls in 30 min,
    # AHT 180 s -> 10 Erlangs; 80 % in 20 s needs 14 agents (13 give ~79.6 %, 14 give ~88.8 %).
    a = 100 * 180 / 1800
    assert a == 10
    assert erlang_c(a, 14) == pytest.approx(0.1741, abs=1e-4)
    sl13, sl14 = erlang_c_service_level(a, [13, 14], 180, 20)
    assert sl13 < 0.8 <= sl14
    assert sl14 == pytest.approx(0.888, abs=1e-3)
    assert erlang_c_asa(a, 14, 180) == pytest.approx(7.8, abs=0.05)


def test_unstable_erlang_c_returns_documented_limits():
    a = np.array([10.0, 10.0, 10.5])
    n = np.array([10, 5, 10])
    assert (erlang_c(a, n) == 1).all()
    assert (erlang_c_service_level(a, n, 180, 20) == 0).all()
    assert np.isinf(erlang_c_asa(a, n, 180)).all()
    assert np.isinf(erlang_c_queue_length(a, n)).all()
    assert (erlang_c_occupancy(a, n) == 1).all()
    assert (erlang_c_wait_exceeds(a, n, 180, 20) == 1).all()


def test_zero_traffic_and_zero_lines():
    assert erlang_b(0.0, 3) == 0.0
    assert erlang_b(4.0, 0) == 1.0
    assert erlang_c(0.0, 2) == 0.0
    assert erlang_c_service_level(0.0, 2, 180, 20) == 1.0
    assert erlang_c_asa(0.0, 2, 180) == 0.0


@pytest.mark.parametrize("call,match", [
    (lambda: erlang_b(-1.0, 3), "traffic"),
    (lambda: erlang_b(1.0, 2.5), "lines"),
    (lambda: erlang_b(1.0, -1), "lines"),
    (lambda: erlang_c(np.nan, 3), "traffic"),
    (lambda: erlang_c_service_level(1.0, 3, 180, -1), "t_s"),
    (lambda: erlang_c_service_level(1.0, 3, 0, 20), "aht_s"),
    (lambda: erlang_c_asa(1.0, 3, -5), "aht_s"),
    (lambda: lines_for_blocking(3.0, 1.5), "blocking"),
])
def test_invalid_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_broadcasting_shapes():
    a = np.array([[5.0], [10.0]])
    n = np.array([8, 12, 20])
    assert erlang_c_service_level(a, n, 180, 20).shape == (2, 3)
    assert erlang_b(a, n).shape == (2, 3)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(traffic=st.floats(0.01, 5000), extra=st.integers(1, 400), aht=st.floats(10, 900), t=st.floats(0, 300))
def test_erlang_c_monotone_in_agents(traffic, extra, aht, t):
    n = np.floor(traffic) + np.arange(extra, extra + 6)
    sl = erlang_c_service_level(traffic, n, aht, t)
    asa = erlang_c_asa(traffic, n, aht)
    # non-strict with a 1e-12 slack: far in the tail both saturate at 1 / 0
    assert (np.diff(sl) >= -1e-12).all()
    assert (np.diff(asa) <= 1e-12 * asa[:-1]).all()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(traffic=st.floats(0.01, 20000), n=st.integers(1, 30000))
def test_erlang_b_not_above_erlang_c(traffic, n):
    b = erlang_b(traffic, n)
    c = erlang_c(traffic, n)
    assert b <= c * (1 + 1e-12)
    assert 0.0 <= b <= 1.0 and 0.0 <= c <= 1.0


# ---------------------------------------------------------------- edges and limits (issue 18's mutation run)
def mm_n_busy_fraction(traffic: float, agents: int, queue_max: int = 4000) -> float:
    """Mean busy agents / N of a truncated M/M/N birth-death chain, by its stationary distribution."""
    k = np.arange(agents + queue_max + 1)
    logp = np.concatenate([[0.0], np.cumsum(np.log(traffic) - np.log(np.minimum(k[1:], agents)))])
    p = np.exp(logp - logp.max())
    p /= p.sum()
    assert p[-1] < 1e-15, "truncation too short"
    return float((np.minimum(k, agents) * p).sum()) / agents


@pytest.mark.parametrize("traffic,agents", [(0.5, 1), (3.0, 5), (10.0, 11), (47.3, 60)])
def test_erlang_c_occupancy_matches_the_chain(traffic, agents):
    assert erlang_c_occupancy(traffic, agents) == pytest.approx(mm_n_busy_fraction(traffic, agents), rel=1e-9)
    assert erlang_c_occupancy(0.0, agents) == 0.0


def test_limits_at_n_equal_a_and_at_zero_exactly_without_warnings():
    """N = A is unstable (N <= A), also for N = A = 0; t = inf is allowed and means 'ever waits'.

    Warnings are errors here: the limits are defined values, not 0/0 or x/0 caught after the fact."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for a, n in [(3.0, 3), (0.0, 0)]:
            assert erlang_c(a, n) == 1.0
            assert erlang_c_asa(a, n, 180) == np.inf
            assert erlang_c_queue_length(a, n) == np.inf
            assert erlang_c_occupancy(a, n) == 1.0
            assert erlang_c_wait_exceeds(a, n, 180, np.inf) == 1.0
            assert erlang_c_service_level(a, n, 180, np.inf) == 0.0
        # stable: everyone is answered eventually; with A = 0 nobody waits at all
        assert erlang_c_wait_exceeds(10.0, 14, 180, np.inf) == 0.0
        assert erlang_c_service_level(10.0, 14, 180, np.inf) == 1.0
        assert erlang_c_wait_exceeds(0.0, 2, 180, np.inf) == 0.0


@pytest.mark.parametrize("call,message", [
    (lambda: erlang_c(-1.0, 3), "traffic must be >= 0"),
    (lambda: erlang_c(1.0, 2.5), "agents must be whole numbers"),
    (lambda: erlang_c(1.0, -1), "agents must be >= 0"),
    (lambda: erlang_c_wait_exceeds(1.0, 3, 0, 20), "aht_s must be > 0"),
    (lambda: erlang_c_wait_exceeds(1.0, 3, 180, -1), "t_s must be >= 0"),
    (lambda: erlang_c_asa(1.0, 3, -5), "aht_s must be > 0"),
])
def test_error_message_starts_with_the_argument_name(call, message):
    with pytest.raises(ValueError) as err:
        call()
    assert str(err.value).startswith(message)
