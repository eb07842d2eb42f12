"""Ticket metrics on a hand-built store (expected values computed by hand)."""
import numpy as np
import pytest

from sim.desk.metrics import backlog, deadline_compliance, summary_frame
from sim.desk.store import TicketStore
from sim.desk.summary import monthly_complaint_summary
from sim.desk.tickets import Ticket

H, D = 3600, 86400


def build():
    st = TicketStore(":memory:")
    evs, touched = [], {}
    sink = lambda ev, t: (touched.__setitem__(t.id, t), evs.append(ev) if ev is not None else None)  # noqa
    tickets = []
    # 4 complaints, rule minor_resolved due at created + 2 days
    for i, (created, met) in enumerate([(0, 1 * D), (0, 3 * D), (H, None), (9 * D, None)], start=1):
        tk = Ticket(id=i, type="complaint", created_s=created, severity="minor", complaint_class=1, sink=sink)
        tk.transition("logged", created)
        tk.set_deadline("minor_resolved", created + 2 * D)
        if met is not None:
            tk.meet("minor_resolved", met)
            tk.transition("resolved", met)
            tk.transition("closed", met, outcome="resolved")
        tickets.append(tk)
    st.write_batch(10 * D, list(touched.values()), evs)
    st.finish(10 * D)
    return st


def test_deadline_compliance_by_hand():
    st = build()
    d = deadline_compliance(st.conn, end_s=10 * D).loc["minor_resolved"]
    # ticket 1 on time (0 h late), ticket 2 late by 1 day, ticket 3 unmet and overdue by 10d - (1h + 2d),
    # ticket 4 still pending (due 11 d > end 10 d): excluded
    late_h = np.array([0.0, 24.0, (10 * D - (H + 2 * D)) / H])
    assert d["evaluated"] == 3 and d["pending"] == 1 and d["on_time"] == 1
    assert d["on_time_pct"] == pytest.approx(100 / 3)
    assert d["mean_lateness_h"] == pytest.approx(late_h.mean())
    assert d["p90_lateness_h"] == pytest.approx(np.quantile(late_h, 0.9))


def test_backlog_and_summary_by_hand():
    st = build()
    b = backlog(st.conn, step_s=D, end_s=4 * D)
    # open at 1 d: tickets 1 (closes exactly at 1 d -> closed), 2, 3 -> 2 open; at 3 d ticket 2 closed -> 1
    assert list(b["open"]) == [2, 2, 1, 1]
    m = monthly_complaint_summary(st.conn)
    assert m.loc[0, "complaints"] == 4 and m.loc[0, "still_open"] == 2 and m.loc[0, "minor"] == 4
    assert m.loc[0, "due_by_day"] == 24        # before the 25th of the same month
    s = summary_frame(st.conn)["value"]
    assert s["desk.tickets.complaint"] == 4 and s["desk.tickets.open_at_end"] == 2
