"""Erlang B edge cases and ``lines_for_blocking`` against a line-by-line search with the textbook recursion
(B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)), written here), including targets so small that the search's
first guess is too low and it has to widen its bracket."""
from __future__ import annotations

import numpy as np
import pytest

from staffing.erlang_b import erlang_b, lines_for_blocking


def recursion_lines(a: float, p: float) -> int:
    b, k = 1.0, 0
    while b > p:
        k += 1
        b = a * b / (k + a * b)
    return k


@pytest.mark.parametrize("a,p", [(0.5, 0.01), (1.0, 1e-12), (0.2, 1e-15), (3.0, 1e-9), (40.0, 0.02), (400.0, 1e-6)])
def test_lines_for_blocking_is_the_smallest_count_meeting_the_target(a, p):
    n = int(lines_for_blocking(a, p))
    assert n == recursion_lines(a, p)
    assert erlang_b(a, n) <= p < erlang_b(a, n - 1)


def test_lines_for_blocking_over_many_loads_and_targets():
    rng = np.random.default_rng(5)
    a = np.concatenate([[0.001, 0.01, 0.3], rng.uniform(0.01, 60.0, 60)])
    p = rng.choice([0.2, 0.05, 0.01, 1e-3, 1e-6], a.size)
    got = np.concatenate([lines_for_blocking(a[p == q], q) for q in np.unique(p)])
    want = np.concatenate([[recursion_lines(x, q) for x in a[p == q]] for q in np.unique(p)])
    np.testing.assert_array_equal(got, want)
    assert lines_for_blocking(0.001, 0.01) == 1


def test_lines_for_blocking_shapes_and_zero_traffic():
    got = lines_for_blocking(np.array([[0.0, 1.0], [2.0, 0.5]]), 0.01)
    assert got.shape == (2, 2) and got.dtype == np.int64
    assert got.tolist() == [[0, recursion_lines(1.0, 0.01)], [recursion_lines(2.0, 0.01), recursion_lines(0.5, 0.01)]]


def test_erlang_b_edges():
    assert erlang_b(0.0, 0) == 1.0 and erlang_b(0.0, 3) == 0.0 and erlang_b(2.0, 0) == 1.0
    np.testing.assert_array_equal(erlang_b(np.array([0.0, 0.0]), np.array([0, 1])), [1.0, 0.0])


@pytest.mark.parametrize("call,name", [
    (lambda: erlang_b(-1.0, 2), "traffic"),
    (lambda: erlang_b(1.0, -2), "lines"),
    (lambda: lines_for_blocking(-1.0, 0.01), "traffic"),
    (lambda: lines_for_blocking(1.0, 1.5), "blocking"),
])
def test_errors_name_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


def test_too_many_lines_is_a_clear_error():
    with pytest.raises(ValueError, match="max_lines=20"):
        lines_for_blocking(1.0, 1e-300, max_lines=20)
