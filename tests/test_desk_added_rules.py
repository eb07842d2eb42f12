"""Rules added by the second reading of the customer's documents (frontdesk.md): result notice, do-not-visit,
written replies, invalid complaints, ongoing damage at night, move-in defects, renovation, home fee collection,
dunning by resident group, routine work, custodial patrols, community-event return visits, call-type split.
Day 0 is a Monday; office hours 08:30-17:30."""
import math

import numpy as np
import pandas as pd
import pytest

from sim.desk.config import DeskRules
from sim.desk.metrics import summary_frame
from sim.desk.standalone import run_calls

H, D = 3600, 86400
COMPLAINT = dict(call_type="complaint", complaint_class=1, anonymous=False, sensitive=False)


def at(day, hh, mm=0):
    return day * D + hh * H + mm * 60


def quiet(**kw):
    base = {"dunning": {"households": 0}, "routine": {"enabled": False}}
    return DeskRules(**{**base, **kw})


def events(lay, tid=None):
    lay.flush()
    q = "SELECT ticket_id, t_s, kind, to_state, detail FROM events" + (f" WHERE ticket_id={tid}" if tid else "")
    return pd.read_sql(q + " ORDER BY ticket_id, seq", lay.store.conn)


def test_same_day_result_notice_before_the_return_visit():
    rules = quiet(return_visits={"complaint_rate": 1.0},
                  complaints={"resolve_mean_days": {"minor": 0.2, "important": 0.2, "major": 0.2}})
    lay = run_calls([dict(COMPLAINT, t=at(1, 9), severity="minor")], until=at(8, 0), rules=rules)
    tk = lay.tickets[1]
    e = events(lay, 1)
    resolved = e.loc[e["to_state"] == "resolved", "t_s"].iloc[0]
    assert tk.due["result_notice"] == (resolved // D + 1) * D                # midnight ending the resolution day
    notice = [t for t in lay.tasks if t.kind == "result_notice"]
    assert len(notice) == 1 and notice[0].finish_s <= tk.due["result_notice"]
    kinds = list(e["kind"])
    assert kinds.index("result_notice") < kinds.index("return_visit_sampled")
    assert tk.due["complaint_return_visit"] == pytest.approx(resolved + 3 * D)   # counted from the resolution


def test_do_not_visit_flag_and_written_reply_exception():
    rules = quiet(return_visits={"complaint_rate": 1.0, "dissatisfied_prob": {"complaint": 0.0}},
                  residents={"refuse_visit_prob": 1.0},
                  complaints={"resolve_mean_days": {"minor": 0.2, "important": 0.2, "major": 0.2}})
    lay = run_calls([dict(COMPLAINT, t=at(1, 9), severity="minor", caller_id=5, problem_id=1),
                     dict(COMPLAINT, t=at(6, 9), severity="minor", caller_id=5, problem_id=2),
                     dict(COMPLAINT, t=at(6, 10), severity="minor", caller_id=6, written_reply=True)],
                    until=at(14, 0), rules=rules)
    assert 5 in lay.do_not_visit
    e = events(lay)
    skipped = e[e["kind"] == "return_visit_skipped"].set_index("ticket_id")["detail"]
    assert skipped[2] == "reason=do_not_visit" and skipped[3] == "reason=written_reply"
    assert "written_reply" in set(e.loc[e["ticket_id"] == 3, "kind"])
    assert not [t for t in lay.tasks if t.kind == "return_visit" and t.ticket_id in (2, 3)]


def test_invalid_complaint_explained_closed_and_counted_separately():
    lay = run_calls([dict(COMPLAINT, t=at(1, 9), severity="important", invalid=True)], until=at(6, 0),
                    rules=quiet())
    tk = lay.tickets[1]
    assert tk.state == "closed" and tk.outcome == "invalid"
    assert set(tk.due) == {"complaint_response"} and "complaint_response" in tk.met   # no resolution deadlines
    assert not lay.tasks                                                               # no notice, no visit
    lay.finish()
    assert summary_frame(lay.store.conn).loc["desk.complaints.invalid", "value"] == 1


def test_ongoing_damage_at_night_acted_on_at_once():
    rules = quiet(ongoing_damage={"night_major_share": 1.0})
    t0 = at(2, 22)
    lay = run_calls([dict(COMPLAINT, t=t0, severity="major", role="night_duty"),
                     dict(COMPLAINT, t=t0 + 600, severity="minor", role="night_duty")], until=at(3, 6), rules=rules)
    assert len(lay.tickets) == 1 and len(lay.night.held) == 1          # the minor one waits for the hand-over
    tk = lay.tickets[1]
    assert tk.source == "night_urgent" and tk.met["ongoing_damage_action"] == t0
    assert "damage_stopped" in set(events(lay, 1)["kind"])


def test_move_in_defects_become_repairs_then_reinspection():
    rules = quiet(move_in={"defect_prob": 1.0, "defects_mean": 3.0})
    lay = run_calls([dict(t=at(1, 9), call_type="move_in")], until=at(30, 0), rules=rules)
    mv = lay.tickets[1]
    repairs = [t for t in lay.tickets.values() if t.source == "move_in_inspection"]
    assert repairs and all(t.type == "repair" for t in repairs)
    e = events(lay)
    reinspected = e.loc[(e["ticket_id"] == 1) & (e["kind"] == "reinspected"), "t_s"].iloc[0]
    fixed = e[e["ticket_id"].isin([t.id for t in repairs]) & (e["to_state"] == "resolved")]
    last_repair = fixed.groupby("ticket_id")["t_s"].min().max()     # a later reopen is the repair's own matter
    assert reinspected >= last_repair and mv.state == "closed"
    assert e.loc[(e["ticket_id"] == 1) & (e["kind"] == "inspected"), "detail"].iloc[0] == f"defects={len(repairs)}"


@pytest.mark.parametrize("structural", [0.0, 1.0])
def test_renovation_permit_passes_notices_and_outside_approval(structural):
    rules = quiet(renovation={"structural_share": structural, "approval_mean_days": 5.0})
    lay = run_calls([dict(t=at(1, 9), call_type="renovation")], until=at(60, 0), rules=rules)
    tk = lay.tickets[1]
    e = events(lay, 1)
    kinds = list(e["kind"])
    assert tk.type == "renovation" and tk.state == "closed"
    assert kinds.index("permit") < kinds.index("worker_passes") < kinds.index("notice")
    assert ("outside_approval" in kinds) == bool(structural)
    start = e.loc[e["kind"] == "outside_approval", "t_s"].iloc[0] if structural else \
        e.loc[e["to_state"] == "assigned", "detail"].str.extract(r"slot_s=(\d+)")[0].astype(float).iloc[0]
    assert tk.due["renovation_permit"] == lay.cal.add_working_days(start, 3)
    assert lay.depts["maintenance"].busy_s > 0                        # the notice takes maintenance time


def test_home_fee_collection_takes_billing_time():
    lay = run_calls([dict(t=at(1, 9), call_type="fee", resolved=True)], until=at(10, 0),
                    rules=quiet(fees={"home_collection_share": 1.0}))
    assert lay.tickets[1].outcome == "paid_at_home" and lay.depts["billing"].busy_s > 0


def test_key_residents_get_a_visit_not_a_call():
    rules = DeskRules(routine={"enabled": False},
                      dunning={"households": 200, "overdue_share": 0.5, "grace_days": 1, "key_resident_share": 1.0})
    lay = run_calls([], until=at(20, 0), rules=rules)
    e = events(lay)
    rem = e[e["kind"] == "reminder"]
    assert len(rem) > 50 and (rem["detail"] == "channel=visit").all()
    assert not [t for t in lay.tasks if t.kind == "dunning_reminder"]


def test_routine_work_is_booked_as_staff_time():
    rules = DeskRules(dunning={"households": 0})
    lay = run_calls([], until=at(31, 0), rules=rules)
    routine = pd.DataFrame([(t.source, t.created_s, t.due.get("monthly_summary"), t.met.get("monthly_summary"))
                            for t in lay.tickets.values() if t.type == "routine"],
                           columns=["source", "t", "due", "met"])
    n = routine["source"].value_counts()
    assert n["daily_check"] == 31 and n["weekly_return_visit_report"] == 5      # Mondays: days 0, 7, ..., 28
    assert n["monthly_complaint_summary"] == 1 and n["monthly_repair_visit_summary"] == 1
    ms = routine[routine["source"] == "monthly_complaint_summary"].iloc[0]
    assert ms["due"] == 24 * D and ms["met"] <= ms["due"]                       # before the 25th
    assert lay.depts["customer_service"].busy_s >= 31 * 0.5 * 900               # gamma work, mean 900 s a day


def test_custodial_patrols_weekly_and_after_heavy_rain():
    rules = quiet(custodial={"homes": 14, "heavy_rain_per_month": 0.0})
    lay = run_calls([], until=at(14, 0), rules=rules)
    patrols = [t for t in lay.tickets.values() if t.type == "custodial_patrol"]
    assert len(patrols) == 28 and all(t.source == "weekly" for t in patrols)
    rain = run_calls([], until=at(30, 0), rules=quiet(custodial={"homes": 3, "heavy_rain_per_month": 10.0}))
    assert any(t.source == "heavy_rain" for t in rain.tickets.values())


def test_community_event_return_visits_minimum_within_a_month():
    rules = quiet(community={"events_per_month": 6.0, "participants_mean": 45.0})
    lay = run_calls([], until=at(60, 0), rules=rules)
    lay.flush()
    ev = [t for t in lay.tickets.values() if t.type == "community_event"]
    assert len(ev) >= 4
    e = events(lay)
    for tk in ev:
        detail = e.loc[(e["ticket_id"] == tk.id) & (e["to_state"] == "logged"), "detail"].iloc[0]
        p = int(detail.split("participants=")[1].split(";")[0])
        calls = [t for t in lay.tasks if t.ticket_id == tk.id]
        assert len(calls) == math.ceil(0.1 * p)
        assert all(t.due_s == tk.created_s + 30 * D and t.kind == "event_return_visit" for t in calls)
        if tk.state == "closed":
            assert tk.met["community_return_visit"] <= tk.due["community_return_visit"]


def test_move_in_renovation_calls_split_into_two_ticket_types():
    calls = [dict(t=at(1, 9) + 60 * i, call_type="move_in_renovation") for i in range(400)]
    lay = run_calls(calls, until=at(1, 17), rules=quiet())
    types = pd.Series([t.type for t in lay.tickets.values() if t.source == "call"]).value_counts()
    # half and half by default: 400 draws, 99.9 % binomial band 200 +- 33
    assert set(types.index) == {"move_in", "renovation"} and abs(types["move_in"] - 200) <= 33
    assert np.isclose(types.sum(), 400)
