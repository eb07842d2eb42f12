"""AgentGroup availability rules on a bare SimPy clock: overlapping not-ready reasons, changes deferred while
busy (calls and outbound work alike), and outbound tasks started no earlier than they are ready."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import simpy

from sim.agents import Agent, AgentGroup, OutboundLog
from sim.calllog import PeriodLog


def group_with_agent():
    env = simpy.Environment()
    ready, outbound = PeriodLog(), OutboundLog()
    group = AgentGroup(env, [0], ready, outbound)
    agent = Agent(0, "agent", group)
    group.end_unavailable(agent)  # logged in at 0
    return env, group, agent, ready, outbound


def at(env, t, fn):
    env.timeout(t).callbacks.append(lambda _e: fn())


def periods(ready: PeriodLog, env) -> list[tuple[float, float]]:
    return list(zip(ready.start.tolist(), ready.end.tolist()))


def test_overlapping_not_ready_reasons_all_have_to_end():
    env, group, agent, ready, _ = group_with_agent()
    at(env, 10, lambda: group.make_unavailable(agent, 100))   # break 10-110
    at(env, 50, lambda: group.make_unavailable(agent, 300))   # aux 50-350, overlapping
    env.run(until=1000)
    group.close([agent])
    assert periods(ready, env) == [(0.0, 10.0), (350.0, 1000.0)]


def test_not_ready_during_a_break_that_followed_a_call_starts_at_once():
    env, group, agent, ready, _ = group_with_agent()
    at(env, 5, lambda: group.take_idle())                      # a call from 5 ...
    at(env, 10, lambda: group.make_unavailable(agent, 100))   # break due at 10: waits for the call
    at(env, 20, lambda: group.free(agent))                     # ... to 20: break 20-120
    at(env, 50, lambda: group.make_unavailable(agent, 200))   # aux during the break: 50-250
    env.run(until=1000)
    group.close([agent])
    assert periods(ready, env) == [(0.0, 20.0), (250.0, 1000.0)]


def task(ready_s, talk_s, done, kind="return_visit", due_s=1e9):
    return SimpleNamespace(ready_s=ready_s, due_s=due_s, kind=kind, talk_s=talk_s,
                           on_done=lambda end, role: done.append((end, role)))


def test_outbound_task_waits_until_ready_and_is_logged():
    env, group, agent, _, outbound = group_with_agent()
    done: list = []
    at(env, 100, lambda: group.submit(task(400.0, 60.0, done, kind="dunning")))
    env.run(until=1000)
    assert [row[:6] for row in outbound.rows] == [("dunning", 400.0, 1e9, 400.0, 460.0, 0)]
    assert done == [(460.0, "agent")]


def test_break_due_during_outbound_work_waits_for_it():
    env, group, agent, ready, outbound = group_with_agent()
    done: list = []
    group.submit(task(0.0, 100.0, done))                       # outbound work 0-100
    at(env, 10, lambda: group.make_unavailable(agent, 50))    # break due at 10: 100-150
    env.run(until=1000)
    group.close([agent])
    assert periods(ready, env) == [(0.0, 100.0), (150.0, 1000.0)]
    assert done == [(100.0, "agent")]


@pytest.mark.parametrize("waiting", [False, True])
def test_inbound_caller_before_outbound_task(waiting):
    env, group, agent, _, outbound = group_with_agent()
    done: list = []
    group.take_idle()                                           # busy with a call until 50
    got = []
    if waiting:
        group.wait(0, lambda agent: got.append(env.now))
    group.submit(task(0.0, 30.0, done))
    at(env, 50, lambda: group.free(agent))
    if waiting:  # the waiting caller gets the agent at 50, the task only after that call
        at(env, 80, lambda: group.free(agent))
    env.run(until=1000)
    assert got == ([50.0] if waiting else [])
    assert outbound.rows[0][3] == (80.0 if waiting else 50.0)
