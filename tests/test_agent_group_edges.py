"""AgentGroup's API contract at its edges, on a bare SimPy clock (no model): the return values of ``abandon`` and
``withdraw``, longest-idle order after a break (stale idle entries), urgent call-backs before waiting callers
(``urgent_outbound``, ``urgent_s`` exactly now), and when ``submit`` starts a task that is ready now or in half a
second. The expected results are read off the rules in ``sim/agents.py``'s docstrings, one rule per test.
"""
from __future__ import annotations

from types import SimpleNamespace

import simpy

from sim.agents import Agent, AgentGroup, OutboundLog
from sim.calllog import PeriodLog


def group_with(n_agents: int, login_gap: float = 0.0):
    """A group on priority 0 with ``n_agents`` agents; agent k logs in at ``k * login_gap`` s."""
    env = simpy.Environment()
    ready, outbound = PeriodLog(), OutboundLog()
    group = AgentGroup(env, [0, 5], ready, outbound)
    agents = [Agent(k, "agent", group) for k in range(n_agents)]
    for k, agent in enumerate(agents):
        at(env, k * login_gap, lambda a=agent: group.end_unavailable(a))
    return env, group, agents, outbound


def at(env, t, fn):
    env.timeout(t).callbacks.append(lambda _e: fn())


def task(ready_s, talk_s=60.0, due_s=1e9, urgent_s=None, caller_id=None, done=None):
    t = SimpleNamespace(ready_s=ready_s, due_s=due_s, kind="virtual_hold", talk_s=talk_s,
                        on_done=lambda end, role: done.append(end) if done is not None else None)
    if urgent_s is not None:
        t.urgent_s = urgent_s
    if caller_id is not None:
        t.caller_id = caller_id
    return t


# ---------------------------------------------------------------- abandon / withdraw
def test_abandon_returns_true_once_and_calls_the_next_step_with_none():
    env, group, _, _ = group_with(0)
    got = []
    waiter = group.wait(0, got.append)
    assert group.n_waiting == 1
    assert group.abandon(waiter) is True
    assert got == [None] and group.n_waiting == 0 and not waiter.waiting
    assert group.abandon(waiter) is False          # gone already: nothing happens twice
    assert got == [None] and group.n_waiting == 0


def test_abandon_after_an_agent_took_the_call_returns_false():
    env, group, (agent,), _ = group_with(1)
    env.run(until=1)
    group.take_idle()                                # busy
    got = []
    waiter = group.wait(0, got.append)
    group.free(agent)                                # takes the waiting caller
    assert got == [agent]
    assert group.abandon(waiter) is False and got == [agent] and group.n_waiting == 0


def test_withdraw_leaves_the_queue_without_calling_the_next_step():
    env, group, (agent,), _ = group_with(1)
    env.run(until=1)
    group.take_idle()
    got_a, got_b = [], []
    a = group.wait(0, got_a.append)
    b = group.wait(0, got_b.append)
    assert group.n_waiting == 2
    assert group.withdraw(a) is True
    assert group.n_waiting == 1 and not a.waiting and got_a == []
    assert group.withdraw(a) is False and group.n_waiting == 1   # twice: no second decrement
    group.free(agent)                                # the agent skips the withdrawn caller
    assert got_a == [] and got_b == [agent] and group.n_waiting == 0
    assert group.withdraw(b) is False                # taken already


def test_a_withdrawn_caller_does_not_hold_back_outbound_work():
    # Outbound work starts only when nobody waits (n_waiting == 0): after the only caller withdraws, the next
    # free agent serves the task instead of idling.
    env, group, (agent,), outbound = group_with(1)
    env.run(until=1)
    group.take_idle()
    waiter = group.wait(0, lambda a: None)
    group.submit(task(0.0))
    assert group.withdraw(waiter) and group.n_waiting == 0
    group.free(agent)
    assert agent.busy and not group.outbound and group.n_idle == 0


def test_after_the_only_caller_withdrew_an_idle_agent_takes_new_outbound_work_at_once():
    env, group, (agent,), outbound = group_with(1)
    env.run(until=1)
    group.take_idle()
    waiter = group.wait(0, lambda a: None)
    group.withdraw(waiter)
    group.free(agent)                                # nobody waits, no work: idle
    assert not agent.busy and group.n_idle == 1
    group.submit(task(1.0))                          # ready now: the idle agent starts it
    assert agent.busy and not group.outbound


# ---------------------------------------------------------------- longest idle across breaks
def test_an_agent_on_break_is_not_taken_and_returns_last_in_line():
    # a logs in at 0, b at 5; a's break 10-110. At 20 only b is idle; at 120 both are, b longer (since 5).
    env, group, (a, b), _ = group_with(2, login_gap=5.0)
    at(env, 10, lambda: group.make_unavailable(a, 100))
    taken = {}
    at(env, 20, lambda: taken.setdefault(20, group.take_idle()))
    at(env, 30, lambda: group.free(b))
    at(env, 120, lambda: taken.setdefault(120, [group.take_idle(), group.take_idle(), group.take_idle()]))
    env.run(until=200)
    assert taken[20] is b
    assert taken[120] == [b, a, None]


def test_repeated_breaks_leave_one_idle_entry_per_agent():
    # Every break makes the agent's idle entry stale; after three breaks and back, each agent is taken once.
    env, group, (a, b), _ = group_with(2, login_gap=1.0)
    for start in (10, 30, 50):
        at(env, start, lambda: group.make_unavailable(a, 5))
    env.run(until=100)
    assert group.n_idle == 2
    assert [group.take_idle(), group.take_idle(), group.take_idle()] == [b, a, None]


# ---------------------------------------------------------------- urgent call-backs (sim.callbacks)
def busy_agent_with_caller(until=100, urgent_outbound=True):
    """One agent, taken busy at ``until`` s, and a caller waiting (``got`` receives the agent when served)."""
    env, group, (agent,), outbound = group_with(1)
    if urgent_outbound:                              # else the group's default
        group.urgent_outbound = True
    env.run(until=until)
    group.take_idle()
    got = []
    group.wait(0, got.append)
    return env, group, agent, outbound, got


def busy_agent_with_caller_and_task(urgent_s, urgent_outbound=True):
    env, group, agent, outbound, got = busy_agent_with_caller(urgent_outbound=urgent_outbound)
    group.submit(task(0.0, urgent_s=urgent_s, caller_id=42))
    return env, group, agent, outbound, got


def test_a_call_back_urgent_exactly_now_goes_before_the_waiting_caller():
    env, group, agent, outbound, got = busy_agent_with_caller_and_task(urgent_s=100.0)
    group.free(agent)                                # now = 100 = urgent_s: the call-back first
    assert got == [] and not group.outbound and group.n_waiting == 1 and agent.busy
    env.run(until=200)                               # the call-back ends at 160: then the caller
    assert got == [agent]
    assert outbound.rows == [("virtual_hold", 0.0, 1e9, 100.0, 160.0, 0, 42)]


def test_a_call_back_not_yet_urgent_waits_behind_the_caller():
    env, group, agent, outbound, got = busy_agent_with_caller_and_task(urgent_s=100.5)
    group.free(agent)
    assert got == [agent] and len(group.outbound) == 1


def test_urgent_call_backs_only_when_the_group_is_told_to():
    # by default (sim.callbacks sets urgent_outbound only for priority = "near_deadline") callers go first
    env, group, agent, outbound, got = busy_agent_with_caller_and_task(urgent_s=0.0, urgent_outbound=False)
    group.free(agent)
    assert got == [agent] and len(group.outbound) == 1


def test_urgent_mode_without_outbound_work_serves_callers_and_idles():
    env, group, agent, _, got = busy_agent_with_caller(until=1)
    group.free(agent)
    assert got == [agent]
    group.free(agent)
    assert not agent.busy and group.n_idle == 1 and group.take_idle() is agent


def test_urgent_mode_ignores_a_plain_task_first_in_line():
    # Only a task with an ``urgent_s`` that has come jumps the queue: a desk task (no urgent_s) due earlier
    # is first by deadline, so nothing is urgent, even though the second task's urgent_s has passed.
    env, group, agent, _, got = busy_agent_with_caller(until=100)
    group.submit(task(0.0, due_s=500.0))
    group.submit(task(0.0, due_s=900.0, urgent_s=50.0))
    assert not group.urgent_task_due()
    group.free(agent)
    assert got == [agent] and len(group.outbound) == 2


def test_urgent_task_due_with_no_outbound_work_is_false():
    env, group, _, _ = group_with(0)
    assert group.urgent_task_due() is False


def test_pending_break_goes_before_an_urgent_call_back():
    env, group, agent, outbound, got = busy_agent_with_caller_and_task(urgent_s=0.0)
    group.make_unavailable(agent, 50)                # due while busy: waits for the call in hand
    group.free(agent)                                # break 100-150, then the urgent call-back
    assert not agent.busy and agent.unavailable == 1 and got == [] and len(group.outbound) == 1
    env.run(until=300)
    assert [row[3] for row in outbound.rows] == [150.0] and got == [agent]


# ---------------------------------------------------------------- submit
def test_a_task_ready_now_starts_before_submit_returns():
    env, group, (agent,), outbound = group_with(1)
    env.run(until=10)
    group.submit(task(10.0))
    assert agent.busy and group.take_idle() is None


def test_a_task_ready_in_half_a_second_starts_then():
    env, group, (agent,), outbound = group_with(1)
    group.submit(task(0.5, talk_s=2.0))
    env.run(until=10)
    assert [row[3:5] for row in outbound.rows] == [(0.5, 2.5)]


def test_outbound_log_names_who_was_called():
    env, group, _, outbound = group_with(1)
    group.submit(task(0.0, caller_id=7))
    group.submit(task(0.0))                          # a desk task has no caller_id
    env.run(until=1000)
    assert [row[6] for row in outbound.rows] == [7, None]
