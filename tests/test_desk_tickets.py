"""Ticket lifecycle (explicit transition table) and each deadline / escalation rule on hand-built tickets.

Expected due times are hand-computed from the spec (day 0 = Monday, office hours 08:30-17:30)."""
import pytest

from sim.desk import deadlines as dl
from sim.desk.config import DeskRules
from sim.desk.standalone import run_calls as _run_calls
from sim.desk.tickets import IllegalTransition, Ticket

H, D = 3600, 86400


def at(day, hh, mm=0):
    return day * D + hh * H + mm * 60


def quiet_rules(**complaints):
    """Rules with no dunning background work; complaint overrides for determinism."""
    return DeskRules(dunning={"households": 0}, routine={"enabled": False}, complaints=complaints)


def run_calls(calls, until, rules=None, seed=0):
    return _run_calls(calls, until, rules or quiet_rules(), seed)


def test_transition_table_legal_path_and_illegal_moves():
    seen = []
    tk = Ticket(id=1, type="repair", created_s=0.0, sink=lambda ev, t: seen.append(ev))
    for i, s in enumerate(["logged", "assigned", "in_progress", "resolved", "return_visit", "reopened",
                           "assigned", "in_progress", "resolved", "closed"]):
        tk.transition(s, float(i))
    assert tk.state == "closed" and tk.reopens == 1 and tk.closed_s == 9.0
    trans = [e for e in seen if e is not None]
    assert [e.seq for e in trans] == list(range(1, 11))
    assert trans[0].from_state is None and trans[-1].to_state == "closed"
    with pytest.raises(IllegalTransition):
        tk.transition("assigned", 10.0)                      # closed is final
    with pytest.raises(IllegalTransition):
        tk.note("escalated", 10.0)                           # no notes after closing
    t2 = Ticket(id=2, type="inquiry", created_s=0.0)
    with pytest.raises(IllegalTransition):
        t2.transition("assigned", 0.0)                       # must be logged first
    t2.transition("logged", 0.0)
    for bad in ("closed", "in_progress", "return_visit", "reopened"):
        with pytest.raises(IllegalTransition, match="illegal transition logged -> " + bad):
            t2.transition(bad, 1.0)
    assert t2.state == "logged"                              # a refused move leaves the state unchanged


def test_escalation_table_pure():
    mk = lambda sev: Ticket(id=1, type="complaint", created_s=0.0, severity=sev)  # noqa: E731
    assert dl.escalations(mk("major")) == [("director", "major_director")]
    assert dl.escalations(mk("important")) == [("department_head", "important_escalation")]
    assert dl.escalations(mk("minor")) == []
    assert dl.escalations(Ticket(id=2, type="repair", created_s=0.0)) == []


def test_major_complaint_director_same_day_answer_2d_resolved_10d():
    t0 = at(0, 10)
    lay = run_calls([dict(t=t0, call_type="complaint", severity="major", complaint_class=1, anonymous=False,
                          sensitive=False)], until=at(20, 0), rules=quiet_rules(escalation_work_s=60))
    tk = lay.tickets[1]
    assert tk.due["major_director"] == at(1, 0)               # midnight ending Monday
    assert tk.due["major_answer"] == t0 + 2 * D
    assert tk.due["major_resolved"] == t0 + 10 * D
    assert tk.due["complaint_response"] == at(1, 10)          # 1 working day (9 office hours)
    assert t0 < tk.met["major_director"] < at(1, 0)
    assert "major_resolved" in tk.met


def test_major_complaint_after_hours_misses_same_day_escalation():
    # received 18:00 by an agent: the supervisor (customer_service, 08:30-17:30) escalates next morning
    t0 = at(0, 18)
    lay = run_calls([dict(t=t0, call_type="complaint", severity="major", complaint_class=1, anonymous=False,
                          sensitive=False)], until=at(3, 0), rules=quiet_rules(escalation_work_s=60))
    tk = lay.tickets[1]
    assert tk.met["major_director"] > tk.due["major_director"] == at(1, 0)
    assert at(1, 8, 30) <= tk.met["major_director"] < at(1, 12)


def test_important_complaint_escalated_to_department_head_within_1h():
    t0 = at(1, 10)
    lay = run_calls([dict(t=t0, call_type="complaint", severity="important", complaint_class=1,
                          anonymous=False, sensitive=False)], until=at(10, 0),
                    rules=quiet_rules(escalation_work_s=60))
    tk = lay.tickets[1]
    assert tk.due["important_escalation"] == t0 + H
    assert tk.due["important_resolved"] == t0 + 3 * D
    assert tk.met["important_escalation"] <= t0 + H
    assert "major_director" not in tk.due and "minor_resolved" not in tk.due


def test_minor_complaint_2_days_no_reception_escalation_and_overdue_escalation():
    t0 = at(1, 10)
    rules = quiet_rules(resolve_mean_days={"minor": 1000.0, "important": 1.0, "major": 1.0})
    lay = run_calls([dict(t=t0, call_type="complaint", severity="minor", complaint_class=1, anonymous=False,
                          sensitive=False)], until=at(6, 0), rules=rules)
    tk = lay.tickets[1]
    assert tk.due["minor_resolved"] == t0 + 2 * D
    lay.flush()
    esc = lay.store.conn.execute("SELECT t_s, detail FROM events WHERE kind='escalated'").fetchall()
    # no escalation at reception; exactly one when the 2-day deadline passed unmet
    assert esc == [(t0 + 2 * D, "to=supervisor;rule=overdue:minor_resolved")]


def test_online_complaint_4_hours_and_on_spot_resolution():
    t0 = at(2, 9)
    lay = run_calls([dict(t=t0, call_type="complaint", severity="important", complaint_class=1, online=True,
                          anonymous=False, sensitive=False),
                     dict(t=t0 + 60, call_type="complaint", severity="minor", complaint_class=1, resolved=True,
                          anonymous=False, sensitive=False)], until=at(9, 0))
    online, spot = lay.tickets[1], lay.tickets[2]
    assert online.due["complaint_response_online"] == t0 + 4 * H and "complaint_response" not in online.due
    assert spot.on_spot and spot.state == "closed" and spot.closed_s == t0 + 60
    assert spot.met["complaint_response"] == t0 + 60 and spot.met["minor_resolved"] == t0 + 60


def test_repeated_complaint_recorded_once():
    t0 = at(1, 10)
    c = dict(call_type="complaint", severity="important", complaint_class=1, anonymous=False, sensitive=False,
             caller_id=77, problem_id=5)
    lay = run_calls([dict(c, t=t0), dict(c, t=t0 + 600)], until=t0 + 1200)
    assert len(lay.tickets) == 1 and lay.duplicates == 1


def test_unknown_call_type_policy():
    with pytest.raises(ValueError, match="call_type_map"):
        DeskRules(unknown_call_type="error").ticket_type("weird")
    assert DeskRules().ticket_type("fee_payment") == "fee"
    assert DeskRules(call_type_map={"billing_q": "fee"}).ticket_type("billing_q") == "fee"
    with pytest.raises(ValueError, match="class_probs"):
        DeskRules(complaints={"class_probs": (0.5, 0.5, 0.5)})
    with pytest.raises(ValueError, match="department"):
        DeskRules(flows={**DeskRules().flows, "repair": {"department": "nowhere"}})


def test_partial_overrides_merge_with_defaults():
    r = DeskRules.model_validate({"departments": {"maintenance": {"staff": 6}},
                                  "flows": {"repair": {"work_mean_s": 5400}},
                                  "return_visits": {"dissatisfied_prob": {"repair": 0.2}},
                                  "complaints": {"resolve_mean_days": {"major": 8.0}}})
    assert r.departments["maintenance"].staff == 6 and r.departments["maintenance"].start == "08:30"
    assert "customer_service" in r.departments
    assert r.flows["repair"].department == "maintenance" and r.flows["repair"].work_mean_s == 5400
    assert r.return_visits.dissatisfied_prob == {"complaint": 0.1, "repair": 0.2}
    assert r.complaints.resolve_mean_days["major"] == 8.0 and r.complaints.resolve_mean_days["minor"] == 1.0
    with pytest.raises(ValueError, match="departments.maintenance.staff"):
        DeskRules.model_validate({"departments": {"maintenance": {"staff": 0}}})
    with pytest.raises(ValueError, match="dissatisfied_prob"):
        DeskRules.model_validate({"return_visits": {"dissatisfied_prob": {"inquiry": 0.5}}})
