"""SkillRouter rules one at a time, on a bare SimPy clock with agents driven by hand: the overflow step at exactly
``after_s``, the longest-idle agent of any group for untyped work (ties: the group listed first), untyped waiters
at skill level 1 with their own priority, calls that joined at the same instant, outbound work on an idle agent,
and the rota's ``group`` column (relative path, numeric names, a blank row first, errors). The expected results
are read off the rules in ``sim/routing.py``'s docstring.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import simpy

from sim.agents import OutboundLog
from sim.calllog import PeriodLog
from sim.routing import SkillRouter
from sim.scenario import ScenarioError, validate_scenario
from sim.schedule import expand_schedule

GENERAL, COMPLAINT = 0, 1


def routed(complaint_route=None, general_priority=0, complaint_priority=1) -> dict:
    return {
        "horizon": {"days": 1},
        "arrivals": {"calls_per_hour": 10},
        "call_types": {"general": {"share": 0.8, "priority": general_priority, "talk": 60},
                       "complaint": {"share": 0.2, "priority": complaint_priority, "talk": 60}},
        "agents": {"headcount": 0},
        "routing": {"groups": {"front_desk": {"skills": {"general": 1, "complaint": 2}, "headcount": 1},
                               "senior": {"skills": {"complaint": 1}, "headcount": 1}},
                    "call_types": {"complaint": complaint_route or [{"group": "senior"},
                                                                     {"group": "front_desk", "after_s": 30}]}},
    }


def router(data=None):
    """A router on its own clock with one front-desk agent (0) and one senior (1), both logged out."""
    sc = validate_scenario(data or routed())
    env = simpy.Environment()
    r = SkillRouter(env, sc, [ct.priority for ct in sc.call_types.values()], PeriodLog(), OutboundLog())
    fd, senior = r.new_agent(0, "agent", "front_desk"), r.new_agent(1, "night_duty", "senior")
    return env, r, fd, senior


def at(env, t, fn):
    env.timeout(t).callbacks.append(lambda _e: fn())


def test_new_agents_keep_their_role_and_group():
    _, r, fd, senior = router()
    assert (fd.role, fd.pool, senior.role, senior.pool) == ("agent", 0, "night_duty", 1)
    assert r.agent_groups([senior, fd]) == ["senior", "front_desk"]


# ---------------------------------------------------------------- overflow
def test_the_next_group_takes_the_call_exactly_after_s_later_and_only_once():
    env, r, fd, senior = router()
    r.end_unavailable(fd)
    r.end_unavailable(senior)
    got = []
    at(env, 5, lambda: r.take_for(COMPLAINT))          # the senior is busy from 5 s
    at(env, 10, lambda: got.append(("queued", r.take_for(COMPLAINT))) or
       r.queue_for(COMPLAINT, 1, lambda a: got.append((env.now, a))))
    at(env, 45, lambda: r.queue_for(COMPLAINT, 1, lambda a: got.append(("second", env.now, a))))
    at(env, 60, lambda: r.free(senior))                # the second complaint; the first is gone from the queue
    at(env, 70, lambda: r.free(senior))                # nothing left for the senior: idle
    env.run(until=100)
    assert got == [("queued", None), (40.0, fd), ("second", 60.0, senior)]   # the front desk at 10 + 30 s
    assert r.n_waiting == 0 and r.pool_n_idle == [0, 1]


def test_overflow_with_nobody_idle_waits_for_the_first_agent_freed():
    env, r, fd, senior = router()
    r.end_unavailable(fd)
    r.end_unavailable(senior)
    got = []
    at(env, 1, lambda: (r.take_for(GENERAL), r.take_for(COMPLAINT)))      # both busy
    at(env, 2, lambda: r.queue_for(COMPLAINT, 1, lambda a: got.append((env.now, a))))
    at(env, 50, lambda: r.free(fd))                    # after the overflow step (32 s): the front desk takes it
    env.run(until=100)
    assert got == [(50.0, fd)] and r.n_waiting == 0


# ---------------------------------------------------------------- untyped work (the counter, outbound)
def test_take_idle_gives_the_longest_idle_agent_of_any_group():
    env, r, fd, senior = router()
    at(env, 10, lambda: r.end_unavailable(fd))
    at(env, 5, lambda: r.end_unavailable(senior))
    env.run(until=20)
    assert [r.take_idle(), r.take_idle(), r.take_idle()] == [senior, fd, None]


def test_take_idle_ties_go_to_the_group_listed_first():
    env, r, fd, senior = router()
    r.end_unavailable(senior)
    r.end_unavailable(fd)
    env.run(until=1)
    assert r.take_idle() is fd and r.take_idle() is senior


def test_take_idle_with_an_empty_later_group():
    env, r, fd, senior = router()
    r.end_unavailable(fd)
    env.run(until=1)
    assert r.take_idle() is fd and r.take_idle() is None


def test_take_idle_skips_an_agent_on_break():
    env, r, fd, senior = router()
    r.end_unavailable(senior)                          # idle since 0
    at(env, 3, lambda: r.end_unavailable(fd))
    at(env, 5, lambda: r.make_unavailable(senior, 100))
    env.run(until=10)
    assert r.take_idle() is fd and r.take_idle() is None


def test_untyped_work_goes_to_any_group_at_level_one_by_its_priority():
    # An untyped waiter (priority 5) joined after a general call (priority 0): the freed front-desk agent takes
    # the untyped one first (both level 1 there; higher priority first); the senior, who has no skill for
    # general calls, takes an untyped waiter of priority 0 too.
    env, r, fd, senior = router()
    r.end_unavailable(fd)
    r.end_unavailable(senior)
    r.take_for(GENERAL)
    r.take_for(COMPLAINT)
    got = []
    r.queue_for(GENERAL, 0, lambda a: got.append(("general", a)))
    r.wait(5, lambda a: got.append(("untyped 5", a)))
    r.wait(0, lambda a: got.append(("untyped 0", a)))
    r.free(fd)
    r.free(senior)
    r.free(fd)
    assert got == [("untyped 5", fd), ("untyped 0", senior), ("general", fd)]
    assert r.n_waiting == 0


def test_an_untyped_waiter_at_level_one_goes_before_a_later_call_of_the_same_priority():
    env, r, fd, senior = router()
    r.end_unavailable(fd)
    r.take_for(GENERAL)
    got = []
    at(env, 1, lambda: r.wait(0, lambda a: got.append("untyped")))
    at(env, 2, lambda: r.queue_for(GENERAL, 0, lambda a: got.append("general")))
    at(env, 3, lambda: r.free(fd))
    env.run(until=10)
    assert got == ["untyped"]


def test_calls_that_joined_at_the_same_instant_are_taken_in_joining_order():
    data = routed(complaint_route=[{"group": "front_desk"}], complaint_priority=0)
    data["routing"]["groups"]["front_desk"]["skills"]["complaint"] = 1
    env, r, fd, senior = router(data)
    r.end_unavailable(fd)
    r.take_for(GENERAL)
    got = []
    r.queue_for(COMPLAINT, 0, lambda a: got.append("complaint"))
    r.queue_for(GENERAL, 0, lambda a: got.append("general"))
    r.free(fd)
    assert got == ["complaint"]
    r.free(fd)
    assert got == ["complaint", "general"]


def test_an_idle_agent_takes_outbound_work_ready_now_at_once():
    env, r, fd, senior = router()
    r.end_unavailable(senior)
    env.run(until=10)
    done = []
    r.submit(SimpleNamespace(ready_s=10.0, due_s=99.0, kind="dunning", talk_s=5.0,
                             on_done=lambda end, role: done.append((end, role))))
    assert senior.busy
    env.run(until=100)
    assert done == [(15.0, "night_duty")]


# ---------------------------------------------------------------- the rota's group column
def rota_data(tmp_path, rota: str, default_group=None) -> dict:
    (tmp_path / "rota.csv").write_text(rota)
    data = routed()
    data["horizon"] = {"days": 1, "start_date": "2026-03-02"}
    data["agents"] = {"rota": "rota.csv"}                 # relative to the scenario's folder
    for g in data["routing"]["groups"].values():
        g["headcount"] = 0
    if default_group:
        data["routing"]["default_group"] = default_group
    return data


def groups_of(tmp_path, rota, default_group=None) -> dict:
    sc = validate_scenario(rota_data(tmp_path, rota, default_group), base_dir=tmp_path)
    return {inst.person: inst.group for inst in expand_schedule(sc, np.random.default_rng(0))}


def test_rota_groups_from_a_relative_path_with_numeric_names_and_a_blank_row_first(tmp_path):
    # staff numbers as names: read as text ("0042" stays "0042", as the rota reader has it)
    rota = ("agent,date,start,end,role,group\n"
            "0042,2026-03-02,08:00,16:00,agent,\n"              # blank: the default group
            "1001,2026-03-02,08:00,16:00,agent,senior\n"
            "0007,2026-03-02,12:00,20:00,agent,senior\n")
    assert groups_of(tmp_path, rota, default_group="front_desk") == {"0042": "front_desk", "1001": "senior",
                                                                      "0007": "senior"}


def test_rota_group_errors_name_the_file_column_and_groups(tmp_path):
    rota = "agent,date,start,end,role,group\nAnn,2026-03-02,08:00,16:00,agent,seniors\n"
    with pytest.raises(ScenarioError, match=r"column 'group': unknown group 'seniors' for Ann "
                                            r"\(groups: front_desk, senior\)"):
        groups_of(tmp_path, rota, default_group="front_desk")
    rota = ("agent,date,start,end,role,group\nAnn,2026-03-02,08:00,12:00,agent,senior\n"
            "Ann,2026-03-02,13:00,17:00,agent,front_desk\n")
    with pytest.raises(ScenarioError, match="column 'group': Ann is in 'senior' and 'front_desk'; one group per "
                                            "person"):
        groups_of(tmp_path, rota, default_group="front_desk")


def test_an_agent_freed_at_the_overflow_instant_takes_the_call():
    # The call may go to the front desk from 40 s on (queued at 10, after_s 30). The overflow step at 40 finds the
    # front desk busy; the front-desk agent freed at 40 (just after that step) may take it: eligible from 40.
    env, r, fd, senior = router()
    r.end_unavailable(fd)
    r.end_unavailable(senior)
    got = []

    def queue():
        r.take_for(GENERAL)                            # front desk busy until 40
        r.take_for(COMPLAINT)                          # senior busy all along
        r.queue_for(COMPLAINT, 1, lambda a: got.append((env.now, a)))
        at(env, 30, lambda: r.free(fd))                # scheduled after the overflow step at 40

    at(env, 10, queue)
    env.run(until=100)
    assert got == [(40.0, fd)]


def test_a_freed_agent_with_no_call_waiting_serves_outbound_work():
    env, r, fd, senior = router()
    r.end_unavailable(senior)
    r.take_idle()                                      # the senior busy
    done = []
    r.submit(SimpleNamespace(ready_s=0.0, due_s=99.0, kind="dunning", talk_s=5.0,
                             on_done=lambda end, role: done.append(end)))
    at(env, 20, lambda: r.free(senior))
    env.run(until=100)
    assert done == [25.0] and not senior.busy


def test_after_a_break_an_agent_is_idle_since_its_return():
    # The front desk is idle from 0, on a break 5-15; the senior idle from 10: at 20 the senior has been idle
    # longer and takes untyped work first.
    env, r, fd, senior = router()
    r.end_unavailable(fd)
    at(env, 5, lambda: r.make_unavailable(fd, 10))
    at(env, 10, lambda: r.end_unavailable(senior))
    env.run(until=20)
    assert [r.take_idle(), r.take_idle()] == [senior, fd]


def test_an_overflow_step_of_half_a_second_waits_half_a_second():
    env, r, fd, senior = router(routed(complaint_route=[{"group": "senior"}, {"group": "front_desk", "after_s": 0.5}]))
    r.end_unavailable(fd)
    r.end_unavailable(senior)
    r.take_for(COMPLAINT)                              # the senior busy
    got = []
    assert r.take_for(COMPLAINT) is None               # the idle front desk may not answer yet
    r.queue_for(COMPLAINT, 1, lambda a: got.append((env.now, a)))
    env.run(until=10)
    assert got == [(0.5, fd)]


def test_a_rota_person_without_group_and_no_default_is_an_error_naming_the_fix(tmp_path):
    rota = "agent,date,start,end,role,group\nBo,2026-03-02,08:00,16:00,agent,\n"
    with pytest.raises(ScenarioError, match=r"agents.rota: Bo has no group; add a 'group' column to the rota or "
                                            r"set routing.default_group"):
        groups_of(tmp_path, rota)


def test_untyped_waiters_add_one_candidate_per_priority_not_one_per_waiter():
    # Each freed agent scans its group's candidate list: a walk-in counter's thousands of requests must not
    # make it grow (the scan would cost more with every visitor).
    env, r, fd, senior = router()
    before = [len(s) for s in r.serves]
    for _ in range(50):
        r.wait(3, lambda a: None)
    assert [len(s) for s in r.serves] == [n + 1 for n in before]


def test_untyped_waiters_are_taken_by_their_own_priority():
    env, r, fd, senior = router()
    r.end_unavailable(senior)
    r.take_idle()
    got = []
    for p in (3, 8, -1, 10, 0):
        r.wait(p, lambda a, p=p: got.append(p))
    for _ in range(5):
        r.free(senior)
    assert got == [10, 8, 3, 0, -1]
