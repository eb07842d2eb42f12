"""Issue 15, lean hot path: the reusable ``Wake`` event fires where a timeout made at the same point would,
and the C-level samplers hand out the same values, drawn at the same moments, as drawing block after block."""
import numpy as np
import pytest
import simpy

from sim.distributions import Bernoulli, Distribution, block_values
from sim.wake import Wake


def test_a_wake_fires_in_the_place_of_a_timeout_made_at_the_same_point():
    """Same time and same order among events of equal time (SimPy orders them by when they were scheduled)."""
    order = []
    env = simpy.Environment()
    wake = Wake(env, lambda _e: order.append(("wake", env.now)))
    env.timeout(5.0).callbacks.append(lambda _e: order.append(("before", env.now)))
    wake.at(5.0)
    env.timeout(5.0).callbacks.append(lambda _e: order.append(("after", env.now)))
    env.run()
    assert order == [("before", 5.0), ("wake", 5.0), ("after", 5.0)]


def test_a_wake_is_re_armed_after_it_fired_and_never_while_pending():
    env = simpy.Environment()
    seen = []

    def again(_e):
        seen.append(env.now)
        if len(seen) < 3:
            wake.at(2.5)

    wake = Wake(env, again)
    wake.at(1.0)
    with pytest.raises(RuntimeError, match="re-armed only after it fired"):
        wake.at(1.0)
    env.run()
    assert seen == [1.0, 3.5, 6.0]


def test_a_sampler_hands_out_the_block_draws_in_order_and_draws_a_block_only_when_needed():
    dist = Distribution(family="gamma", mean=100.0, cv=0.7)
    rng = np.random.default_rng(5)
    sampler = dist.sampler(rng)
    first = [sampler() for _ in range(5000)]           # more than one block of 4096
    expected_rng = np.random.default_rng(5)
    expected = np.concatenate([dist.draw(expected_rng, 4096), dist.draw(expected_rng, 4096)])[:5000]
    assert first == expected.tolist()
    # the shared generator has drawn exactly two blocks: the next draw from it matches
    assert rng.random() == expected_rng.random()


def test_block_values_draws_lazily_and_the_coin_compares_uniforms():
    calls = []
    values = block_values(lambda: calls.append(1) or np.arange(3.0))
    assert calls == []
    assert [values() for _ in range(4)] == [0.0, 1.0, 2.0, 0.0] and len(calls) == 2
    coin, uniforms = Bernoulli(np.random.default_rng(2)), np.random.default_rng(2).random(10)
    assert [coin(0.5) for _ in range(10)] == [bool(u < 0.5) for u in uniforms]
