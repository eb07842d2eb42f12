"""Slow end-to-end checks of the front desk (``pytest -m slow``): four weeks of the example centre with the real
call model, checked against the rules of frontdesk.md from the stores alone (own SQL), like an independent
auditor would."""
import math
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from sim.desk import deadlines as dl
from sim.desk.calendar import Calendar
from sim.desk.metrics import rules_of
from sim.desk.tickets import Ticket

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "property_centre.toml"
D = 86400


@pytest.fixture(scope="module")
def four_weeks(tmp_path_factory):
    import sim
    from sim.desk.hook import DeskFactory

    out = tmp_path_factory.mktemp("desk4w")
    sc = sim.load_scenario(EXAMPLE).with_changes({"horizon.days": 28})
    res = sim.run(sc, replications=2, seed=17, desk_factory=DeskFactory(out))
    return res, [sqlite3.connect(out / n) for n in ("tickets.sqlite", "tickets_rep1.sqlite")]


def test_four_weeks_every_handled_call_accounted(four_weeks):
    res, conns = four_weeks
    for rep, conn in enumerate(conns):
        calls = res.calls[(res.calls["replication"] == rep) & (res.calls["outcome"] == "handled")]
        tickets = {r[0] for r in conn.execute("SELECT call_id FROM tickets WHERE call_id IS NOT NULL")}
        dups = {int(d.split("call_id=")[1].split(";")[0]) for (d,) in
                conn.execute("SELECT detail FROM events WHERE kind='duplicate_contact'")}
        pending = {r[0] for r in conn.execute("SELECT call_id FROM pending_handover")}
        assert set(calls["call_id"].astype(int)) == tickets | dups | pending
        assert not (tickets & dups) and not (tickets & pending)


def test_four_weeks_initial_deadlines_recomputed(four_weeks):
    _, conns = four_weeks
    for conn in conns:
        rules = rules_of(conn)
        cal = Calendar(rules.calendar, int(dict(conn.execute("SELECT key, value FROM meta"))["start_weekday"]))
        t = pd.read_sql("SELECT * FROM tickets WHERE type='complaint'", conn)
        d = pd.read_sql("SELECT ticket_id, rule, due_s FROM deadlines", conn)
        due = {(r.ticket_id, r.rule): r.due_s for r in d.itertuples()}
        req = {r[0] for r in conn.execute("SELECT ticket_id FROM events WHERE kind='resident_requested_time'")}
        invalid = {r[0] for r in conn.execute("SELECT ticket_id FROM events WHERE to_state='assigned' "
                                              "AND detail LIKE '%invalid=True%'")}
        assert len(t) > 200
        for row in t.itertuples():
            tk = Ticket(id=row.id, type="complaint", created_s=row.created_s, severity=row.severity,
                        online=bool(row.online), invalid=row.id in invalid)
            for rule, want in dl.initial_deadlines(tk, rules, cal).items():
                if rule == "minor_resolved" and row.id in req:
                    continue
                assert due[(row.id, rule)] == pytest.approx(want), (row.id, rule)
            if row.id in invalid:
                assert {r for (i, r) in due if i == row.id} <= {"complaint_response", "complaint_response_online"}


def test_four_weeks_ladder_climbs_and_missed_deadlines_escalate(four_weeks):
    _, conns = four_weeks
    for conn in conns:
        e = pd.read_sql("SELECT ticket_id, seq, t_s, kind, detail FROM events WHERE kind IN "
                        "('escalated', 'overdue_at_top') ORDER BY ticket_id, seq", conn)
        esc = e[e["kind"] == "escalated"].copy()
        esc["rank"] = esc["detail"].str.extract(r"to=(\w+)")[0].map(dl.LADDER.index)
        assert (esc.groupby("ticket_id")["rank"].diff().dropna() > 0).all()
        # every deadline that passed unmet while its ticket was open escalated (or was already at the top)
        d = pd.read_sql("SELECT d.ticket_id, d.rule, d.due_s, d.met_s, t.closed_s FROM deadlines d JOIN tickets t "
                        "ON t.id=d.ticket_id", conn)
        end = float(dict(conn.execute("SELECT key, value FROM meta"))["end_t_s"])
        missed = d[(d["due_s"] < end) & ~(d["met_s"] <= d["due_s"]) & ~(d["closed_s"] <= d["due_s"])]
        assert len(missed) > 20
        flagged = {(r.ticket_id, r.detail.split("rule=")[1].split(";")[0].replace("overdue:", ""))
                   for r in e.itertuples()}
        for r in missed.itertuples():
            assert (r.ticket_id, r.rule) in flagged, (r.ticket_id, r.rule)


def test_four_weeks_return_visit_minimum_per_period(four_weeks):
    _, conns = four_weeks
    for conn in conns:
        month = rules_of(conn).calendar.month_days
        ev = pd.read_sql("SELECT e.ticket_id, e.kind, e.detail, t.type FROM events e JOIN tickets t ON "
                         "t.id=e.ticket_id WHERE e.kind IN ('return_visit_sampled','return_visit_not_sampled') "
                         "AND e.detail NOT LIKE '%repeat=True%'", conn)
        ev["period"] = ev["detail"].str.extract(r"period=(\d+)")[0].astype(int)
        rates = {"complaint": rules_of(conn).return_visits.complaint_rate,
                 "repair": rules_of(conn).return_visits.repair_rate}
        for (ttype, _), g in ev.groupby(["type", "period"]):
            n, k = len(g), int((g["kind"] == "return_visit_sampled").sum())
            assert k >= math.ceil(rates[ttype] * n - 1e-9)
        assert month == 30


def test_four_weeks_dunning_reminders_letters_and_store_conservation(four_weeks):
    res, conns = four_weeks
    from sim.desk.store import check_conservation

    for conn in conns:
        assert check_conservation(conn)["ok"]
        r = rules_of(conn).dunning
        n = conn.execute("SELECT COUNT(*) FROM outbound WHERE kind='dunning_reminder'").fetchone()[0]
        assert n > 50
        ev = pd.read_sql("SELECT ticket_id, kind, t_s FROM events WHERE kind IN ('reminder', 'letter')", conn)
        both = ev.pivot_table(index="ticket_id", columns="kind", values="t_s", aggfunc="min").dropna()
        assert (both["letter"] - both["reminder"]).sub(r.letter_after_days * D).abs().max() < 1e-6 if len(both) \
            else True
    assert res.summary.loc["desk.outbound.dunning_reminder.agent_hours", "mean"] > 1.0


def test_four_weeks_scheduled_work_and_result_notices(four_weeks):
    _, conns = four_weeks
    for conn in conns:
        rules = rules_of(conn)
        src = dict(conn.execute("SELECT source, COUNT(*) FROM tickets WHERE type IN ('routine', 'custodial_patrol') "
                                "GROUP BY source").fetchall())
        assert src["daily_check"] == 28 and src["weekly_return_visit_report"] == 4
        assert src["weekly"] == 4 * rules.custodial.homes                 # every home once a week
        # result notices: one per resolved, non-anonymous, valid complaint not settled on the spot, same day
        n = pd.read_sql("SELECT d.ticket_id, d.due_s, d.met_s, EXISTS(SELECT 1 FROM events e WHERE "
                        "e.ticket_id=d.ticket_id AND e.to_state='resolved' AND e.t_s >= d.due_s - 86400 AND "
                        "e.t_s < d.due_s) AS resolved_that_day FROM deadlines d WHERE d.rule LIKE 'result_notice%'",
                        conn)
        assert len(n) > 50 and (n["resolved_that_day"] == 1).all() and (n["due_s"] % D == 0).all()
