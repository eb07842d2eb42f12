"""sim/desk/deadlines.py as pure functions: which rules a ticket starts, which a response meets, overdue levels
and lateness exactly on and around a deadline. (Due instants themselves come from the calendar, tested in
test_desk_calendar.py; here each must equal the calendar's deadline of the rule the spec names.)"""
from __future__ import annotations

import pytest

from sim.desk import deadlines as dl
from sim.desk.calendar import Calendar
from sim.desk.config import CalendarRules, DeskRules
from sim.desk.tickets import Ticket

T0 = 86400 + 10 * 3600.0  # Tuesday 10:00


@pytest.fixture
def ctx():
    rules = DeskRules(dunning={"households": 0})
    return rules, Calendar(CalendarRules(), start_weekday=0)


def due(ctx, rule):
    rules, cal = ctx
    return cal.deadline(T0, getattr(rules.deadlines, rule))


@pytest.mark.parametrize("kind,expected", [
    (dict(type="complaint", severity="minor"), {"complaint_response", "minor_resolved"}),
    (dict(type="complaint", severity=None), {"complaint_response", "minor_resolved"}),
    (dict(type="complaint", severity="important", online=True),
     {"complaint_response_online", "important_escalation", "important_resolved"}),
    (dict(type="complaint", severity="major"),
     {"complaint_response", "major_director", "major_answer", "major_resolved"}),
    (dict(type="repair", urgent=True), {"urgent_repair_dispatch"}),
    (dict(type="repair", urgent=False), set()),
    (dict(type="inquiry", urgent=True), set()),
])
def test_initial_deadlines_name_the_spec_rules(ctx, kind, expected):
    rules, cal = ctx
    out = dl.initial_deadlines(Ticket(id=1, created_s=T0, **kind), rules, cal)
    assert set(out) == expected
    for rule, t in out.items():
        assert t == due(ctx, rule) and t > T0


def test_numbered_rule_instances_share_the_base_rule_and_unknown_rules_are_named(ctx):
    rules, cal = ctx
    assert dl.rule_due(rules, cal, "minor_resolved#2", T0) == due(ctx, "minor_resolved")
    with pytest.raises(ValueError, match="unknown deadline rule 'no_such_rule#1'"):
        dl.rule_due(rules, cal, "no_such_rule#1", T0)


def test_response_and_resolution_rules():
    mk = lambda **kw: Ticket(id=1, type="complaint", created_s=T0, **kw)  # noqa: E731
    assert dl.response_rules(mk(severity="minor")) == ["complaint_response"]
    assert dl.response_rules(mk(severity="major", online=True)) == ["complaint_response_online", "major_answer"]
    assert dl.response_rules(Ticket(id=2, type="repair", created_s=T0)) == []
    assert dl.resolution_rule(mk(severity=None)) == "minor_resolved"
    assert dl.resolution_rule(mk(severity="major")) == "major_resolved"
    assert dl.resolution_rule(Ticket(id=2, type="repair", created_s=T0)) is None


@pytest.mark.parametrize("current,level", [(None, "supervisor"), ("supervisor", "department_head"),
                                           ("department_head", "director"), ("director", "general_manager"),
                                           ("general_manager", None)])
def test_overdue_escalation_climbs_one_level_from_where_the_ticket_is(current, level):
    """Issue 17: the level follows the ticket's current level (not how often it was escalated), so an
    important complaint already with the department head goes to the director, never sideways or down."""
    tk = Ticket(id=1, type="complaint", created_s=T0, severity="minor")
    tk.level, tk.escalations = current, 3   # the count no longer decides
    assert dl.overdue_target(tk) == level


@pytest.mark.parametrize("met,now,expected", [
    (100.0, 500.0, (True, 0.0)),     # met exactly at the deadline: on time
    (99.0, 500.0, (True, 0.0)),
    (130.0, 500.0, (False, 30.0)),
    (None, 100.0, (True, 0.0)),      # not met yet, deadline just reached: not late yet
    (None, 60.0, (True, 0.0)),
    (None, 145.0, (False, 45.0)),    # not met, past due: late by now - due
    (None, 100.5, (False, 0.5)),
])
def test_lateness_on_and_around_the_deadline(met, now, expected):
    assert dl.lateness(100.0, met, now) == expected
