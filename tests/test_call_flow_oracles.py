"""Oracles on the call flow read from the call log alone: trunk occupancy, caller identity across redials and
repeat calls, and the tier-2 queue.

Each check recomputes from the log's time stamps what the model tracks with counters (trunks in use, tier-2
agents busy, caller numbers), so a counter that drifts, or a caller number that is reused, shows up.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim


def flow_scenario(**extra) -> sim.Scenario:
    data = {
        "horizon": {"days": 1},
        "arrivals": {"calls_per_hour": 90},
        "call_types": {
            "a": {"share": 0.7, "talk": {"family": "exponential", "mean": 150},
                  "acw": {"family": "exponential", "mean": 30}, "fcr": 0.7, "transfer_prob": 0.3,
                  "ivr_self_service": 0.2, "repeat_delay": {"family": "exponential", "mean": 3600}},
            "b": {"share": 0.3, "priority": 2, "talk": {"family": "exponential", "mean": 100}},
        },
        "telephony": {"trunks": 6, "ivr": True, "ivr_time": 20},
        "callers": {"patience": {"family": "exponential", "mean": 90}, "redial_prob_abandon": 0.6,
                    "redial_prob_busy": 0.7, "redial_delay": {"family": "exponential", "mean": 120},
                    "max_redials": 2},
        "transfers": {"destination": "tier2", "tier2_agents": 1,
                      "tier2_talk": {"family": "exponential", "mean": 200}},
        "agents": {"headcount": 3},
    }
    return sim.Scenario.model_validate(data | extra)


@pytest.fixture(scope="module")
def flow():
    return sim.run(flow_scenario(), replications=2, seed=61)


def trunk_release(calls: pd.DataFrame) -> np.ndarray:
    """When each non-blocked attempt frees its trunk: end of IVR self-service, hang-up, end of talk, or the end
    of the tier-2 leg for calls transferred to tier 2."""
    out = calls["outcome"].astype(str)
    end = np.where(out == "ivr", calls["ivr_end"], np.where(out == "abandoned", calls["abandon"], calls["talk_end"]))
    return np.where(calls["transferred"] & calls["t2_enqueue"].notna(), calls["t2_end"], end)


def test_busy_signal_exactly_when_every_trunk_is_in_use(flow):
    trunks = 6
    checked = 0
    for _, calls in flow.calls.groupby("replication"):
        calls = calls[calls["outcome"].astype(str) != "in_system"]
        start = calls["arrive"].to_numpy()
        blocked = (calls["outcome"].astype(str) == "blocked").to_numpy()
        end = trunk_release(calls)
        assert np.isfinite(end[~blocked]).all()
        s, e = start[~blocked], end[~blocked]
        for t, was_blocked in zip(start, blocked):
            in_use = int(((s < t) & (e > t)).sum())  # arrivals at distinct instants (continuous times)
            assert in_use <= trunks
            assert (in_use == trunks) == was_blocked, f"at {t:.1f} s: {in_use} trunks in use, blocked={was_blocked}"
            checked += 1
    assert checked > 1000 and flow.metric("blocked") > 20 and flow.metric("ivr_completed") > 20


def test_redials_and_repeat_calls_belong_to_an_earlier_caller(flow):
    calls = flow.calls.sort_values(["replication", "caller", "arrive"]).reset_index(drop=True)
    calls["origin_s"] = calls["origin"].astype(str)
    calls["outcome_s"] = calls["outcome"].astype(str)
    first = calls[calls["origin_s"] == "first"]
    assert not first.duplicated(["replication", "caller"]).any()  # one first attempt per caller number
    per_caller = calls.groupby(["replication", "caller"])
    assert (per_caller["origin_s"].transform("first") == "first").all()  # every caller starts with a first call
    assert (per_caller["call_type"].transform("nunique") == 1).all()    # and calls back about the same thing
    prev = per_caller.shift()
    redial = calls["origin_s"] == "redial"
    repeat = calls["origin_s"] == "repeat"
    assert redial.sum() > 20 and repeat.sum() > 20
    # a redial follows a busy signal or a hang-up; its attempt number counts the redials, up to max_redials
    assert prev.loc[redial, "outcome"].astype(str).isin(["blocked", "abandoned"]).all()
    expected = np.where(prev.loc[redial, "origin"].astype(str) == "redial", prev.loc[redial, "attempt"] + 1, 1)
    np.testing.assert_array_equal(calls.loc[redial, "attempt"], expected)
    assert calls.loc[redial, "attempt"].max() == 2
    # a repeat call follows a handled call that did not resolve the matter
    assert (prev.loc[repeat, "outcome"].astype(str) == "handled").all()
    assert not prev.loc[repeat, "resolved"].astype(bool).any()


def test_tier2_one_call_per_agent_and_no_idle_agent_while_callers_wait(flow):
    t2 = flow.calls[flow.calls["t2_enqueue"].notna()]
    assert len(t2) > 50
    assert (t2["t2_enqueue"] == t2["talk_end"]).all()
    served = t2[t2["t2_answer"].notna()]
    gave_up = t2[t2["t2_answer"].isna()]
    assert len(gave_up) > 5 and gave_up["t2_end"].notna().all()
    assert len(served) > 20 and (served["t2_answer"] == served["t2_enqueue"]).sum() > 5  # some found it idle
    for rep, rows in served.groupby("replication"):
        # one tier-2 agent: talks never overlap, and the next waiting caller is taken when a talk ends
        rows = rows.sort_values("t2_answer")
        assert (rows["t2_answer"].to_numpy()[1:] >= rows["t2_end"].to_numpy()[:-1] - 1e-9).all()
        waited = rows[rows["t2_answer"] > rows["t2_enqueue"] + 1e-9]
        ends = set(np.round(rows["t2_end"], 6))
        assert all(round(a, 6) in ends for a in waited["t2_answer"])


def test_tier2_caller_hangs_up_after_exactly_its_patience():
    sc = flow_scenario(callers={"patience": 45}, telephony={"trunks": 50, "ivr": True, "ivr_time": 20})
    calls = sim.run(sc, replications=1, seed=62).calls
    t2 = calls[calls["t2_enqueue"].notna()]
    gave_up = t2[t2["t2_answer"].isna()]
    assert len(gave_up) > 5
    np.testing.assert_allclose(gave_up["t2_end"] - gave_up["t2_enqueue"], 45.0, atol=1e-9)
    assert ((t2["t2_answer"] - t2["t2_enqueue"]).dropna() <= 45.0 + 1e-9).all()


def test_department_transfers_free_the_trunk_at_the_end_of_talk():
    sc = flow_scenario(transfers={"destination": "department"})
    res = sim.run(sc, replications=1, seed=63)
    calls = res.calls[res.calls["outcome"].astype(str) != "in_system"]
    assert calls["transferred"].sum() > 20 and calls["t2_enqueue"].isna().all()
    start = calls["arrive"].to_numpy()
    blocked = (calls["outcome"].astype(str) == "blocked").to_numpy()
    end = trunk_release(calls)
    s, e = start[~blocked], end[~blocked]
    in_use = np.array([int(((s < t) & (e > t)).sum()) for t in start])
    assert blocked.sum() > 20
    np.testing.assert_array_equal(in_use == 6, blocked)


def test_desk_receives_each_handled_call_as_the_api_contract_says():
    from sim.model import CallCentreModel

    class Desk:
        def __init__(self):
            self.records = []

        def on_call_handled(self, record):
            self.records.append(record)

    desk = Desk()
    sc = flow_scenario()
    out = CallCentreModel(sc, 64, desk=desk).run()
    log = out.calls.frame(sc.type_names())
    handled = log[log["outcome"].astype(str) == "handled"]
    assert len(desk.records) == len(handled) > 50
    contract = {"call_id", "caller_id", "call_type", "arrive_s", "answer_s", "talk_end_s", "resolved", "role",
                "problem_id"}
    for rec in desk.records:
        assert set(rec) == contract
        row = log.loc[rec["call_id"]]
        assert (rec["caller_id"], rec["call_type"], rec["resolved"], rec["role"]) == \
            (row["caller"], row["call_type"], bool(row["resolved"]), "agent")
        assert (rec["arrive_s"], rec["answer_s"], rec["talk_end_s"]) == (row["arrive"], row["answer"], row["talk_end"])
