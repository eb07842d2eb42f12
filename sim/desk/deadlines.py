"""The spec's deadlines and escalation rules as pure functions of a ticket (times in seconds).

- every complaint: response within 1 working day (online: 4 hours);
- major: to the centre director the same day, clear answer within 2 days, resolved within 10 days;
- important: escalated to the department head within 1 hour, resolved within 3 days;
- minor: resolved within 2 days;
- invalid complaints: only the response (the explanation);
- inquiries not answered on the call: call-back (assumption: 1 working day);
- urgent night repairs: on site "at once" (assumption: 1 hour); day repairs: technician at the agreed slot.
Escalation ladder (``LADDER``): supervisor -> department head -> director -> general manager. It only climbs:
a ticket already at a level is never escalated to the same or a lower one (``climb``). Every deadline has an owner
(``OWNERS``) and escalates the ticket one level when it passes unmet (not only resolution deadlines: the 1-hour
hand-over of important complaints too). A ticket that reaches the general manager gets the deadline he sets
(``general_manager_resolved``, a scenario parameter); one already there and overdue is recorded as
``overdue_at_top``.
"""
from __future__ import annotations

from sim.desk.calendar import Calendar
from sim.desk.config import DeskRules

ESCALATION_TARGET = {"major": ("director", "major_director"), "important": ("department_head",
                                                                           "important_escalation")}
RESOLUTION_RULE = {"minor": "minor_resolved", "important": "important_resolved", "major": "major_resolved"}
LADDER = ("supervisor", "department_head", "director", "general_manager")
# who answers for each deadline (documentation and reports; every one escalates when missed)
OWNERS = {
    "complaint_response": "customer_service", "complaint_response_online": "customer_service",
    "major_director": "customer_service", "major_answer": "customer_service", "major_resolved": "director",
    "important_escalation": "customer_service", "important_resolved": "department_head",
    "minor_resolved": "customer_service", "general_manager_resolved": "general_manager",
    "complaint_return_visit": "customer_service", "repair_return_visit_safety": "customer_service",
    "repair_return_visit_leak": "customer_service", "repair_return_visit_other": "customer_service",
    "inquiry_callback": "customer_service", "repair_visit_on_time": "maintenance",
    "urgent_repair_dispatch": "night_duty", "dunning_reminder": "billing", "result_notice": "customer_service",
    "ongoing_damage_action": "night_duty", "renovation_permit": "reception",
    "community_return_visit": "customer_service", "monthly_summary": "customer_service",
}


def rule_due(rules: DeskRules, cal: Calendar, rule: str, start_s: float) -> float:
    """Due instant of named rule ``rule`` started at ``start_s``."""
    base = rule.split("#")[0]
    dl = getattr(rules.deadlines, base, None)
    if dl is None:
        raise ValueError(f"unknown deadline rule {rule!r}")
    return cal.deadline(start_s, dl)


def initial_deadlines(ticket, rules: DeskRules, cal: Calendar) -> dict[str, float]:
    """Deadlines that start when the ticket is logged (``ticket.created_s``)."""
    t = ticket.created_s
    out: dict[str, float] = {}
    if ticket.type == "complaint":
        resp = "complaint_response_online" if ticket.online else "complaint_response"
        out[resp] = rule_due(rules, cal, resp, t)
        if ticket.invalid:                 # explained and closed: only the response is owed
            return out
        sev = ticket.severity or "minor"
        if sev == "major":
            out["major_director"] = rule_due(rules, cal, "major_director", t)
            out["major_answer"] = rule_due(rules, cal, "major_answer", t)
        if sev == "important":
            out["important_escalation"] = rule_due(rules, cal, "important_escalation", t)
        out[RESOLUTION_RULE[sev]] = rule_due(rules, cal, RESOLUTION_RULE[sev], t)
    elif ticket.type == "repair" and ticket.urgent:
        out["urgent_repair_dispatch"] = rule_due(rules, cal, "urgent_repair_dispatch", t)
    return out


def response_rules(ticket) -> list[str]:
    """Rules met by the first response to the resident."""
    if ticket.type != "complaint":
        return []
    rr = ["complaint_response_online" if ticket.online else "complaint_response"]
    if ticket.severity == "major":
        rr.append("major_answer")
    return rr


def escalations(ticket) -> list[tuple[str, str]]:
    """(target, rule) escalations a complaint needs on reception: major -> director (same day),
    important -> department head (1 h); minor -> none."""
    if ticket.type != "complaint" or ticket.severity not in ESCALATION_TARGET:
        return []
    return [ESCALATION_TARGET[ticket.severity]]


def resolution_rule(ticket) -> str | None:
    return RESOLUTION_RULE.get(ticket.severity or "minor") if ticket.type == "complaint" else None


def rank(level: str | None) -> int:
    """Position on the ladder (-1: not escalated)."""
    return -1 if level is None else LADDER.index(level)


def climb(current: str | None, target: str | None = None) -> str | None:
    """Level a ticket at ``current`` goes to: ``target`` if it is higher, else None (never sideways or down);
    without ``target`` the next level up (None at the top)."""
    if target is None:
        return LADDER[rank(current) + 1] if rank(current) + 1 < len(LADDER) else None
    return target if rank(target) > rank(current) else None


def overdue_target(ticket) -> str | None:
    """Level an overdue ticket is escalated to: one above its current level (None at the top)."""
    return climb(ticket.level)


def lateness(due_s: float, met_s: float | None, now_s: float) -> tuple[bool, float]:
    """(on_time, lateness_s >= 0); an unmet deadline is late by now - due once now > due."""
    if met_s is None:
        return (False, max(0.0, now_s - due_s)) if now_s > due_s else (True, 0.0)
    return met_s <= due_s, max(0.0, met_s - due_s)
