"""Property test: for random seeds and rule settings, every ticket's recorded history follows the transition
table, deadlines are met at most once and not before the ticket exists, and tickets are conserved."""
import pandas as pd
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sim.desk.config import DeskRules
from sim.desk.standalone import run_standalone
from sim.desk.tickets import TRANSITIONS


# each example is a 4-day run (~0.5 s): no shrinking phase, so a failure costs seconds, not minutes
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(seed=st.integers(0, 10_000), reach=st.floats(0.0, 1.0), unhappy=st.floats(0.0, 1.0),
       crate=st.floats(0.0, 1.0), rrate=st.floats(0.0, 1.0), sampling=st.sampled_from(["bernoulli", "systematic"]),
       weekday=st.integers(0, 6), requested=st.floats(0.0, 1.0))
def test_random_runs_follow_the_lifecycle(seed, reach, unhappy, crate, rrate, sampling, weekday, requested):
    rules = DeskRules(
        return_visits={"reach_prob": reach, "dissatisfied_prob": {"complaint": unhappy, "repair": unhappy},
                       "complaint_rate": crate, "repair_rate": rrate, "sampling": sampling},
        complaints={"minor_requested_share": requested, "online_per_day": 5.0},
        dunning={"households": 300, "overdue_share": 0.2, "grace_days": 0.5, "letter_after_days": 1,
                 "home_visit_after_days": 1, "initial_overdue": 10})
    lay, store, rep = run_standalone(4, seed=seed, rules=rules, calls_per_day=120, start_weekday=weekday)
    assert rep["ok"] and rep["created"] == rep["closed"] + rep["open"] == len(lay.tickets)
    ev = pd.read_sql("SELECT ticket_id, seq, t_s, kind, from_state, to_state FROM events ORDER BY ticket_id, seq",
                     store.conn).astype({"from_state": object, "to_state": object})
    ev = ev.where(ev.notna(), None)   # SQL NULL -> None (the table's initial state), not NaN
    tk = pd.read_sql("SELECT id, created_s, state FROM tickets", store.conn).set_index("id")
    for tid, g in ev.groupby("ticket_id"):
        state = None
        assert (g["t_s"].diff().dropna() >= 0).all()                    # history in time order
        assert g["t_s"].iloc[0] == tk.loc[tid, "created_s"]
        for row in g.itertuples():
            if row.kind == "transition":
                assert row.from_state == state and row.to_state in TRANSITIONS[state]
                state = row.to_state
            else:
                assert state not in (None, "closed")                      # notes only on open tickets
        assert state == tk.loc[tid, "state"]
    dl = pd.read_sql("SELECT d.ticket_id, d.met_s, t.created_s FROM deadlines d JOIN tickets t ON t.id=d.ticket_id",
                     store.conn)
    assert (dl["met_s"].dropna() >= dl.loc[dl["met_s"].notna(), "created_s"]).all()
    store.close()
