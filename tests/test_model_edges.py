"""The call model at its edges, each checked against something outside the model's own counters: exact arrival
counts inside their intervals, a day of more than one 4 096-call slice, a trunk freed at the instant its caller
calls again, the IVR answering without pickup rings, a hang-up at the pickup ring that frees the agent, the desk's
call-back rule per call type, a desk that does nothing changing nothing, two tier-2 agents, attempts due exactly
at the horizon's end, two ways to switch redials off, shares normalised, and a pending wake-up not re-armed.

Small scenarios (one day or less) with fixed seeds: every check is exact (counts, equal time stamps, identical
logs), none statistical.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import sim
from sim.desk.config import DeskRules
from sim.model import CallCentreModel, arrival_days, arrival_stream, rng_streams

INTERVAL_S = 1800.0


def scenario(**extra) -> sim.Scenario:
    data = {
        "horizon": {"days": 1},
        "arrivals": {"calls_per_hour": 30},
        "call_types": {"a": {"share": 1.0, "talk": {"family": "exponential", "mean": 120}}},
        "agents": {"headcount": 2},
    }
    return sim.Scenario.model_validate(data | extra)


def log_of(sc: sim.Scenario, seed: int, desk=None) -> pd.DataFrame:
    return CallCentreModel(sc, seed, desk=desk).run().calls.frame(sc.type_names())


# ---------------------------------------------------------------- arrivals
def test_exact_counts_fall_inside_their_intervals_day_after_day():
    counts = [3, 0, 5, 1] * 12 + [2, 4, 0, 7] * 12          # 48 intervals a day, two different days
    sc = sim.Scenario.model_validate({
        "horizon": {"days": 2}, "arrivals": {"calls_per_interval": counts, "poisson": False},
        "call_types": {"x": {"share": 0.25, "talk": 60}, "y": {"share": 0.75, "talk": 60}},
        "agents": {"headcount": 1}})
    days = list(arrival_days(sc, np.random.default_rng(1)))
    assert len(days) == 2
    for d, (times, types) in enumerate(days):
        assert np.all(np.diff(times) >= 0)
        got = np.bincount((times // INTERVAL_S).astype(int) - 48 * d, minlength=48)
        np.testing.assert_array_equal(got, counts[48 * d:48 * (d + 1)])
        assert set(types.tolist()) == {0, 1}
    times, types = arrival_stream(sc, np.random.default_rng(1))
    np.testing.assert_array_equal(times, np.concatenate([t for t, _ in days]))
    np.testing.assert_array_equal(types, np.concatenate([c for _, c in days]))
    # the model's first attempts are this stream, drawn from its 'arrivals' generator
    log = log_of(sc, 9)
    first = log[log["origin"] == "first"]
    want_t, want_c = arrival_stream(sc, rng_streams(9)["arrivals"])
    np.testing.assert_array_equal(first["arrive"], want_t)
    np.testing.assert_array_equal(first["call_type"].cat.codes, want_c)


def test_seed_or_its_seed_sequence_give_the_same_streams():
    a = rng_streams(5)
    b = rng_streams(np.random.SeedSequence(5))
    assert list(a) == list(b) == list(sim.model.STREAMS)
    for name in a:
        assert a[name].random() == b[name].random()
    assert len({g.random() for g in rng_streams(5).values()}) == len(a)   # independent streams


def test_a_day_of_more_than_4096_calls_starts_every_call_once():
    # 110 calls in each half hour: 5 280 first attempts in one day, more than one 4 096-call slice. One trunk
    # and no redials keep it cheap: nearly every call hears a busy signal.
    sc = scenario(arrivals={"calls_per_interval": [110] * 48, "poisson": False},
                  telephony={"trunks": 1}, callers={"redial_prob_busy": 0.0})
    log = log_of(sc, 3)
    assert len(log) == 5280 and (log["origin"] == "first").all()
    np.testing.assert_array_equal(np.sort(log["caller"].to_numpy()), np.arange(1, 5281))
    want, _ = arrival_stream(sc, rng_streams(3)["arrivals"])
    np.testing.assert_array_equal(log["arrive"], want)


# ---------------------------------------------------------------- trunks
def test_a_trunk_freed_at_the_instant_its_caller_calls_again_is_free():
    # Repeat calls come back after 0 s: at the very instant the previous call's talk ends. Its trunk is free then,
    # so a busy signal happens exactly when the other calls hold every trunk (time stamps from the log).
    sc = scenario(arrivals={"calls_per_hour": 50},
                  call_types={"a": {"share": 1.0, "talk": {"family": "exponential", "mean": 150}, "fcr": 0.5,
                                    "repeat_delay": {"family": "empirical", "samples": [0.0]}}},
                  telephony={"trunks": 2}, callers={"redial_prob_busy": 0.0}, agents={"headcount": 3})
    log = log_of(sc, 4)
    log = log[log["outcome"].astype(str) != "in_system"]
    out = log["outcome"].astype(str)
    start = log["arrive"].to_numpy()
    end = np.where(out == "abandoned", log["abandon"], log["talk_end"])
    blocked = (out == "blocked").to_numpy()
    repeats = log[(log["origin"] == "repeat")]
    assert len(repeats) > 20 and np.isin(repeats["arrive"], log["talk_end"]).all()
    s, e = start[~blocked], end[~blocked]
    in_use = np.array([int(((s < t) & (e > t)).sum()) for t in start])   # a trunk freed at t is free at t
    assert blocked.sum() > 20
    np.testing.assert_array_equal(in_use == 2, blocked)


# ---------------------------------------------------------------- ringing
def test_the_ivr_answers_after_its_rings_and_an_idle_agent_picks_up_at_once():
    # pickup_rings counts rings at an agent's phone without an IVR; behind the IVR the caller already heard the
    # IVR's rings, so an idle agent answers when the caller leaves the menu.
    sc = scenario(telephony={"ivr": True, "ivr_time": 20, "ivr_pickup_rings": 2, "pickup_rings": 3,
                             "ring_cycle_s": 6}, agents={"headcount": 20})
    log = log_of(sc, 5)
    handled = log[log["outcome"].astype(str) == "handled"]
    assert len(handled) > 500
    np.testing.assert_allclose(handled["ivr_end"] - handled["arrive"], 2 * 6 + 20, atol=1e-9)
    np.testing.assert_array_equal(handled["enqueue"], handled["ivr_end"])
    np.testing.assert_array_equal(handled["answer"], handled["enqueue"])
    assert (handled["rings"] == 2).all()


def test_a_hang_up_at_the_pickup_ring_frees_the_agent_for_the_next_caller():
    # One agent, calls 30 min apart, three 6-s rings before pick-up. Half the callers hang up exactly at the
    # pickup ring (patience 18 s), the others wait (600 s): those are answered after exactly 18 s, also after
    # a caller before them hung up on the same agent.
    sc = sim.Scenario.model_validate({
        "horizon": {"days": 1}, "arrivals": {"calls_per_interval": [1.0] * 48, "poisson": False},
        "call_types": {"call": {"share": 1.0, "talk": 5}},
        "telephony": {"pickup_rings": 3, "ring_cycle_s": 6},
        "callers": {"patience": {"family": "empirical", "samples": [18.0, 600.0]}},
        "agents": {"headcount": 1}})
    log = log_of(sc, 6)
    out = log["outcome"].astype(str)
    assert set(out) == {"handled", "abandoned"} and len(log) == 48
    np.testing.assert_allclose(log.loc[out == "abandoned", "abandon"] - log.loc[out == "abandoned", "enqueue"],
                               18.0, atol=1e-9)
    np.testing.assert_allclose(log.loc[out == "handled", "answer"] - log.loc[out == "handled", "enqueue"],
                               18.0, atol=1e-9)
    first_hang_up = log.loc[out == "abandoned", "arrive"].min()
    assert (log.loc[out == "handled", "arrive"] > first_hang_up).any()


# ---------------------------------------------------------------- the desk hooks
class QuietDesk:
    """A desk layer that records the handled calls and does nothing else."""

    def __init__(self, rules=None):
        if rules is not None:
            self.rules = rules
        self.records: list[dict] = []

    def on_call_handled(self, record: dict) -> None:
        self.records.append(record)


def unresolved_types(**rules) -> sim.Scenario:
    return scenario(horizon={"days": 1}, arrivals={"calls_per_hour": 40},
                    call_types={name: {"share": 0.25, "talk": 60, "fcr": 0.0,
                                       "repeat_delay": {"family": "exponential", "mean": 600}}
                                for name in ("inquiry", "repair", "inquiries", "parking")},
                    agents={"headcount": 4})


@pytest.mark.parametrize("enabled", [True, False])
def test_the_desk_calls_back_unresolved_inquiries_and_other_callers_call_again(enabled):
    # frontdesk.md: an inquiry the agent cannot answer is called back by the desk, so that caller does not call
    # again as well; other ticket types (and every type with the desk off) call again. 'parking' is no ticket
    # type: with unknown_call_type = "error" it cannot be an inquiry.
    sc = unresolved_types()
    rules = DeskRules(enabled=enabled, unknown_call_type="error")
    log = log_of(sc, 7, desk=QuietDesk(rules))
    repeat = log["origin"] == "repeat"
    repeats = set(log.loc[repeat, "call_type"].astype(str))
    assert repeats == ({"repair", "parking"} if enabled else {"inquiry", "repair", "inquiries", "parking"})
    assert (log.loc[repeat, "attempt"] == 0).all()        # a repeat call is a new contact, not a redial


def test_without_a_desk_every_unresolved_caller_calls_again():
    log = log_of(unresolved_types(), 7)
    repeat = log["origin"] == "repeat"
    assert set(log.loc[repeat, "call_type"].astype(str)) == {"inquiry", "repair", "inquiries", "parking"}
    assert (log.loc[repeat, "attempt"] == 0).all()        # a repeat call is a new contact, not a redial


def test_a_desk_that_does_nothing_changes_no_call():
    # With a desk the model takes the step-by-step path at talk end (``_talk_done``), without one the path that
    # decides everything at the answer (``_talk_and_acw``). Resolved callers and a fixed ACW draw nothing at talk
    # end (a random ACW would be drawn in another order among the calls, from the same stream), so both paths
    # must write the same log, value for value: hold, ACW, department transfers, trunks, breaks.
    sc = scenario(arrivals={"calls_per_hour": 70},
                  call_types={"a": {"share": 0.6, "talk": {"family": "lognormal", "mean": 150, "cv": 0.8},
                                    "hold_prob": 0.3, "hold": {"family": "exponential", "mean": 40},
                                    "acw": 60, "transfer_prob": 0.2},
                              "b": {"share": 0.2, "priority": 2, "talk": {"family": "exponential", "mean": 100},
                                    "acw": 0.5},                    # under a second
                              "c": {"share": 0.2, "talk": {"family": "exponential", "mean": 100}}},   # no ACW
                  telephony={"trunks": 5}, transfers={"destination": "department"},
                  callers={"patience": {"family": "exponential", "mean": 120}},
                  agents={"shifts": [{"start": "06:00", "end": "14:00", "count": 2,
                                      "breaks": [{"start": "10:00", "minutes": 30}]},
                                     {"start": "12:00", "end": "23:58", "count": 2}], "adherence": 0.9})
    plain = CallCentreModel(sc, 8).run()
    desk = QuietDesk()
    with_desk = CallCentreModel(sc, 8, desk=desk).run()
    a, b = plain.calls.frame(sc.type_names()), with_desk.calls.frame(sc.type_names())
    assert (a["outcome"].astype(str) == "handled").sum() > 300 and a["transferred"].sum() > 20
    assert {0.0, 0.5, 60.0} <= set(a["acw"].dropna())
    assert (a["outcome"].astype(str) == "blocked").sum() > 5
    assert np.isnan(a["acw_end"]).any()                      # some calls still in ACW or talking at the end
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(plain.ready.frame(), with_desk.ready.frame())
    assert len(desk.records) == (b["outcome"].astype(str) == "handled").sum()


# ---------------------------------------------------------------- tier 2
def test_two_tier2_agents_talk_to_two_callers_at_once_never_three():
    sc = scenario(arrivals={"calls_per_hour": 60},
                  call_types={"a": {"share": 1.0, "talk": 60, "transfer_prob": 0.6}},
                  transfers={"destination": "tier2", "tier2_agents": 2,
                             "tier2_talk": {"family": "exponential", "mean": 150}},
                  agents={"headcount": 3})
    log = log_of(sc, 10)
    t2 = log[log["t2_answer"].notna()]
    assert len(t2) > 100
    starts, ends = t2["t2_answer"].to_numpy(), t2["t2_end"].to_numpy()
    at_once = np.array([int(((starts <= t) & (ends > t)).sum()) for t in starts])
    assert at_once.max() == 2
    # a caller who waited for tier 2 was taken when a tier-2 talk ended
    waited = t2[t2["t2_answer"] > t2["t2_enqueue"]]
    assert len(waited) > 10 and np.isin(waited["t2_answer"], t2["t2_end"]).all()


# ---------------------------------------------------------------- the horizon
def test_a_later_attempt_starts_only_inside_the_horizon():
    # Redials and repeat calls go through ``_later``: an attempt due exactly at the horizon's end (86 400 s) is
    # outside the horizon [0, 86 400) and is not made; one due half a second earlier is. No other calls.
    from sim.calllog import REDIAL, REPEAT

    sc = scenario(arrivals={"calls_per_hour": 0})
    model = CallCentreModel(sc, 11)
    model._later(86400.0, 7, 1, REDIAL, 0)
    model._later(86399.5, 8, 0, REPEAT, 0)
    log = model.run().calls.frame(sc.type_names())
    assert log[["caller", "attempt", "arrive"]].values.tolist() == [[8, 0, 86399.5]]
    assert log["origin"].astype(str).tolist() == ["repeat"]


# ---------------------------------------------------------------- two ways to say the same thing
def test_two_ways_to_switch_redials_off_give_the_same_run():
    # "Nobody redials" said as a redial probability of 0 or as max_redials = 0 must give the same run, value for
    # value, on the same seed: neither may draw a coin for a redial that cannot happen (coins also decide hold,
    # first-call resolution and transfers, so a stray draw would change those calls).
    base = dict(arrivals={"calls_per_hour": 80}, telephony={"trunks": 4},
                call_types={"a": {"share": 1.0, "talk": {"family": "exponential", "mean": 150}, "hold_prob": 0.3,
                                  "fcr": 0.8, "transfer_prob": 0.1}},
                agents={"headcount": 3})
    zero_p = scenario(**base, callers={"patience": {"family": "exponential", "mean": 60}})
    zero_n = scenario(**base, callers={"patience": {"family": "exponential", "mean": 60},
                                       "redial_prob_abandon": 0.5, "redial_prob_busy": 0.5, "max_redials": 0})
    a, b = log_of(zero_p, 12), log_of(zero_n, 12)
    out = a["outcome"].astype(str)
    assert (out == "abandoned").sum() > 20 and (out == "blocked").sum() > 20 and (a["hold"] > 0).sum() > 50
    assert (a["origin"] == "first").sum() < len(a)          # repeat calls: the coins are in use
    pd.testing.assert_frame_equal(a, b)


def test_a_repeat_call_due_exactly_at_the_horizon_end_is_not_made():
    # Talk 100 s, never resolved, repeat after 300 s. A call answered at 86 000 s would call again at exactly
    # 86 400 s (outside the horizon): not made; one answered at 85 999.5 s calls again at 86 399.5 s. Both calls
    # are answered at once (two idle agents) on the path that decides the repeat at the answer (no desk).
    from sim.calllog import FIRST

    sc = scenario(arrivals={"calls_per_hour": 0},
                  call_types={"a": {"share": 1.0, "talk": 100, "fcr": 0.0, "repeat_delay": 300}})
    model = CallCentreModel(sc, 13)
    model._later(85999.5, 1, 0, FIRST, 0)
    model._later(86000.0, 2, 0, FIRST, 0)
    log = model.run().calls.frame(sc.type_names())
    assert (log["answer"] == log["arrive"]).all()
    assert log[["caller", "arrive"]].values.tolist() == [[1, 85999.5], [2, 86000.0], [1, 86399.5]]


def test_shares_that_sum_to_one_within_the_tolerance_are_normalised():
    # The scenario accepts shares summing to 1 within 1e-6; the arrivals draw call types with the shares scaled
    # to sum to exactly 1 (numpy refuses probabilities off by more than ~1e-8).
    sc = sim.Scenario.model_validate({
        "horizon": {"days": 1}, "arrivals": {"calls_per_interval": [100] * 48, "poisson": False},
        "call_types": {"x": {"share": 0.3, "talk": 60}, "y": {"share": 0.6999995, "talk": 60}},
        "agents": {"headcount": 1}})
    (_, types), = arrival_days(sc, np.random.default_rng(2))
    assert types.size == 4800
    assert abs((types == 0).mean() - 0.3) < 0.03     # binomial sd 0.0066: a 4.5-sigma band


def test_a_pending_wake_refuses_to_be_re_armed_with_the_documented_message():
    import simpy

    from sim.wake import Wake

    env = simpy.Environment()
    wake = Wake(env, lambda _e: None)
    wake.at(1.0)
    with pytest.raises(RuntimeError, match=r"^a Wake is re-armed only after it fired$"):
        wake.at(1.0)


def test_the_call_log_given_is_the_one_written():
    # ``call_log``: where the attempts go (sim.streaming passes its folding log); the model must not make its own.
    from sim.calllog import CallLog

    sc = scenario()
    given = CallLog(capacity=16)
    out = CallCentreModel(sc, 14, call_log=given).run()
    assert out.calls is given and given.n > 500
    np.testing.assert_array_equal(given.column("arrive"), log_of(sc, 14)["arrive"])


# ---------------------------------------------------------------- random IVR and consult times
def test_random_ivr_and_consult_times_are_drawn_and_added_where_they_belong():
    # IVR time Exp(20) after one 6-s ring; talk exactly 60 s plus a consult Exp(30) on transferred calls only.
    # Means are checked against a 0.1 % two-sided t band (fixed seed: a failure means a real change).
    from scipy import stats

    sc = scenario(arrivals={"calls_per_hour": 60},
                  call_types={"a": {"share": 1.0, "talk": 60, "transfer_prob": 0.5}},
                  telephony={"ivr": True, "ivr_time": {"family": "exponential", "mean": 20}, "ivr_pickup_rings": 1,
                             "ring_cycle_s": 6},
                  transfers={"destination": "department", "consult": {"family": "exponential", "mean": 30}},
                  agents={"headcount": 4})
    log = log_of(sc, 15)
    menu = (log["ivr_end"] - log["arrive"] - 6.0).dropna().to_numpy()
    assert menu.size > 1000 and menu.std() > 5
    assert stats.ttest_1samp(menu, 20.0).pvalue > 0.001
    handled = log[log["outcome"].astype(str) == "handled"]
    plain = handled.loc[~handled["transferred"], "talk"].to_numpy()
    consult = handled.loc[handled["transferred"], "talk"].to_numpy() - 60.0
    np.testing.assert_allclose(plain, 60.0, atol=1e-4)       # float32 durations
    assert consult.size > 300 and consult.min() > 0 and consult.std() > 5
    assert stats.ttest_1samp(consult, 30.0).pvalue > 0.001


def test_skill_group_agents_keep_the_role_of_their_shift():
    sc = sim.Scenario.model_validate({
        "horizon": {"days": 1}, "arrivals": {"calls_per_hour": 20},
        "call_types": {"general": {"share": 1.0, "talk": 60}},
        "agents": {"shifts": [{"start": "08:00", "end": "16:00", "count": 2, "group": "desk", "role": "agent"},
                              {"start": "16:00", "end": "23:00", "count": 1, "group": "desk", "role": "night_duty"}]},
        "routing": {"groups": {"desk": {"skills": {"general": 1}}}}})
    out = CallCentreModel(sc, 16).run()
    assert sorted(out.agent_roles) == ["agent", "agent", "night_duty"]
    assert out.agent_groups == ["desk"] * 3
