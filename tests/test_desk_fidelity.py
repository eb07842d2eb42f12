"""Issue 17 defects: no handled call is lost, the escalation ladder only climbs, every owned deadline escalates,
return-visit minimums hold per reporting period, dunning happens in the example, duplicates are keyed by problem,
class-2 complaints are never closed on the spot, the monthly summary is due before the 25th of the same month,
supervisor/manager return visits take those people's time. Day 0 is a Monday; office hours 08:30-17:30."""
import math
from pathlib import Path

import pandas as pd
import pytest

from sim.desk.config import DeskRules
from sim.desk.standalone import run_calls, run_standalone

H, D = 3600, 86400
EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "property_centre.toml"
COMPLAINT = dict(call_type="complaint", complaint_class=1, anonymous=False, sensitive=False)


def at(day, hh, mm=0):
    return day * D + hh * H + mm * 60


def quiet(**kw):
    return DeskRules(dunning={"households": 0}, routine={"enabled": False}, **kw)


# ---- defect 1: no call is lost -----------------------------------------------------------------------------
def test_night_call_ending_after_handover_goes_to_that_mornings_handover():
    # answered by night duty at 08:27, ended 08:37: the 08:30 hand-over has passed; it must not wait a day
    lay = run_calls([dict(t=at(1, 8, 37), call_type="repair", role="night_duty", urgent=False)],
                    until=at(1, 9), rules=quiet())
    assert not lay.night.held
    tk = lay.tickets[1]
    assert tk.source == "night_handover" and tk.created_s == at(1, 8, 37)


def test_pending_handover_items_are_in_the_store_and_summary():
    lay = run_calls([dict(t=at(2, 23), call_type="fee", role="night_duty")], until=at(3, 2), rules=quiet())
    from sim.desk.accounting import call_accounting

    rep = lay.finish()
    assert rep["pending_handover"] == 1
    rows = lay.store.conn.execute("SELECT call_id, call_type, logged_s FROM pending_handover").fetchall()
    assert rows == [(1, "fee", at(2, 23))]
    acc = call_accounting(lay.store.conn, [1])
    assert acc["pending_handover"] == 1 and acc["unaccounted"] == 0


def test_every_handled_call_of_the_example_is_accounted_for(tmp_path):
    import sim
    from sim.desk.hook import DeskFactory

    res = sim.run(EXAMPLE, replications=1, seed=3, desk_factory=DeskFactory(tmp_path))
    calls = res.calls
    handled = set(calls.loc[calls["outcome"] == "handled", "call_id"].astype(int))
    import sqlite3
    conn = sqlite3.connect(tmp_path / "tickets.sqlite")
    tickets = {r[0] for r in conn.execute("SELECT call_id FROM tickets WHERE call_id IS NOT NULL")}
    dups = {int(d.split("call_id=")[1].split(";")[0]) for (d,) in
            conn.execute("SELECT detail FROM events WHERE kind='duplicate_contact'")}
    pending = {r[0] for r in conn.execute("SELECT call_id FROM pending_handover")}
    assert handled == tickets | dups | pending
    assert res.extras[0]["desk_conservation"]["calls_unaccounted"] == 0
    assert res.summary.loc["desk.pending_handover", "mean"] == len(pending)


# ---- defects 2 and 3: the ladder climbs; every owned deadline escalates ---------------------------------------
def _escalations(lay):
    lay.flush()
    return lay.store.conn.execute("SELECT ticket_id, t_s, detail FROM events WHERE kind='escalated' "
                                  "ORDER BY ticket_id, seq").fetchall()


def test_missed_one_hour_handover_escalates_and_the_ladder_climbs():
    t0 = at(4, 17, 45)                     # Friday 17:45; customer service closed at 17:30
    lay = run_calls([dict(COMPLAINT, t=t0, severity="important")], until=at(8, 0),
                    rules=quiet(complaints={"escalation_work_s": 60}))
    esc = _escalations(lay)
    assert esc[0][1] == t0 + H and "to=supervisor" in esc[0][2] and "overdue:important_escalation" in esc[0][2]
    assert "to=department_head" in esc[1][2] and esc[1][1] >= at(5, 8, 30)      # handed up next morning
    tk = lay.tickets[1]
    assert tk.met["important_escalation"] > tk.due["important_escalation"]      # met late, recorded late


def test_overdue_major_complaint_goes_up_not_down():
    rules = quiet(complaints={"escalation_work_s": 60,
                              "resolve_mean_days": {"minor": 1.0, "important": 1.0, "major": 1000.0}})
    lay = run_calls([dict(COMPLAINT, t=at(0, 10), severity="major")], until=at(14, 0), rules=rules)
    levels = [d.split(";")[0][3:] for _, _, d in _escalations(lay)]
    assert levels[0] == "director" and levels[-1] == "general_manager"
    tk = lay.tickets[1]
    assert "general_manager_resolved" in tk.due                                 # the GM sets a deadline


LADDER = ("supervisor", "department_head", "director", "general_manager")


def test_no_ticket_is_escalated_to_the_same_or_a_lower_level():
    rules = DeskRules(complaints={"severity_probs": (0.4, 0.4, 0.2)})
    lay, store, _ = run_standalone(20, seed=4, rules=rules, calls_per_day=200, mix={"complaint": 1.0})
    e = pd.read_sql("SELECT ticket_id, seq, detail FROM events WHERE kind='escalated' ORDER BY ticket_id, seq",
                    store.conn)
    assert len(e) > 50
    e["rank"] = e["detail"].str.extract(r"to=(\w+)")[0].map(LADDER.index)
    assert (e.groupby("ticket_id")["rank"].diff().dropna() > 0).all()


# ---- defect 4: minimums per reporting period -----------------------------------------------------------------
def test_complaint_return_visit_minimum_met_in_every_period():
    rules = DeskRules(dunning={"households": 0}, calendar={"month_days": 28},
                      complaints={"anonymous_share": 0.0, "sensitive_share": 0.0})
    lay, store, _ = run_standalone(84, seed=1, rules=rules, calls_per_day=60, mix={"complaint": 1.0})
    ev = pd.read_sql("SELECT e.ticket_id, e.kind, e.detail FROM events e WHERE e.kind IN "
                     "('return_visit_sampled','return_visit_not_sampled') AND e.detail NOT LIKE '%repeat=True%'",
                     store.conn)
    res = pd.read_sql("SELECT ticket_id, MIN(t_s) t FROM events WHERE to_state='resolved' GROUP BY ticket_id",
                      store.conn).set_index("ticket_id")["t"]
    ev["period"] = (ev["ticket_id"].map(res) // (28 * D)).astype(int)
    for p, g in ev.groupby("period"):
        n, k = len(g), int((g["kind"] == "return_visit_sampled").sum())
        assert n > 30 and k >= math.ceil(0.5 * n), (p, k, n)


# ---- defect 5: dunning load in the example -------------------------------------------------------------------
def test_example_makes_dunning_reminder_calls_that_load_the_agents():
    import sim

    res = sim.run(EXAMPLE, replications=1, seed=3)
    s = res.summary["mean"]
    assert s["desk.outbound.dunning_reminder.made"] > 20
    assert s["desk.outbound.dunning_reminder.agent_hours"] > 0.5
    assert (res.outbound["kind"] == "dunning_reminder").sum() == s["desk.outbound.dunning_reminder.made"]


# ---- defect 6 ----------------------------------------------------------------------------------------------
def test_duplicates_are_keyed_by_problem_not_caller():
    t0 = at(1, 10)
    c = dict(COMPLAINT, severity="important", caller_id=77)
    lay = run_calls([dict(c, t=t0, problem_id=1), dict(c, t=t0 + 600, problem_id=2),
                     dict(c, t=t0 + 900, problem_id=1)], until=t0 + 1200, rules=quiet())
    assert len(lay.tickets) == 2 and lay.duplicates == 1


def test_class2_complaints_are_never_resolved_on_the_spot():
    lay = run_calls([dict(COMPLAINT, t=at(1, 10), severity="minor", complaint_class=2, resolved=True)],
                    until=at(30, 0), rules=quiet())
    tk = lay.tickets[1]
    assert not tk.on_spot
    lay.flush()
    kinds = [k for (k,) in lay.store.conn.execute("SELECT kind FROM events WHERE ticket_id=1")]
    assert "developer_notified" in kinds


def test_monthly_summary_due_before_the_25th_of_the_same_month():
    from sim.desk.summary import monthly_complaint_summary

    lay = run_calls([dict(COMPLAINT, t=at(3, 10), severity="minor"), dict(COMPLAINT, t=at(26, 10), severity="minor")],
                    until=at(40, 0), rules=quiet())
    lay.finish()
    m = monthly_complaint_summary(lay.store.conn)
    # month 0's summary is due at the start of day 24 (the 25th) and covers day 0 .. 23; the complaint of
    # day 26 falls in the next summary (due day 30 + 24)
    assert m.loc[0, "due_by_day"] == 24 and m.loc[0, "complaints"] == 1
    assert m.loc[1, "due_by_day"] == 54 and m.loc[1, "complaints"] == 1


def test_supervisor_and_manager_visits_take_their_time_by_default():
    rules = quiet(return_visits={"complaint_rate": 1.0},
                  complaints={"resolve_mean_days": {"minor": 0.2, "important": 0.2, "major": 0.2}})
    lay = run_calls([dict(COMPLAINT, t=at(1, 10), severity="major"),
                     dict(COMPLAINT, t=at(1, 11), severity="important")], until=at(10, 0), rules=rules)
    roles = {lay.tickets[t.ticket_id].severity: t.role for t in lay.tasks if t.kind == "return_visit"}
    assert roles == {"major": "manager", "important": "supervisor"}
    assert lay.depts["manager"].busy_s > 0 and lay.depts["supervisor"].busy_s > 0
