"""Return visits (sampling rates, exclusions, deadlines), night duty hand-over, dunning, departments, outbound
blending. Statistical checks use fixed seeds and 99.9 % binomial intervals (a false alarm rate of 1/1000 per
check at a fixed seed means the check only fails if the sampling is biased)."""
import numpy as np
import pandas as pd
import pytest
import simpy
from scipy.stats import binom

from sim.desk.calendar import Calendar
from sim.desk.config import DepartmentRules, DeskRules, ReturnVisitRules
from sim.desk.departments import Department
from sim.desk.outbound import OutboundQueue, OutboundTask, SimpleOutboundExecutor, next_work
from sim.desk.return_visits import Sampler
from sim.desk.standalone import run_calls, run_standalone
from sim.desk.tickets import Ticket

H, D = 3600, 86400


def at(day, hh, mm=0):
    return day * D + hh * H + mm * 60


def within_binomial(k, n, p, conf=0.999):
    lo, hi = binom.interval(conf, n, p)
    return lo <= k <= hi


@pytest.mark.parametrize("rate", [0.5, 0.3])
def test_bernoulli_sampling_rate_within_binomial_ci(rate):
    s = Sampler(ReturnVisitRules(complaint_rate=rate), np.random.default_rng(11))
    n = 4000
    k = sum(s.select(Ticket(id=i, type="complaint", created_s=0.0)) for i in range(n))
    assert within_binomial(k, n, rate)


def test_systematic_sampling_never_below_rate():
    s = Sampler(ReturnVisitRules(complaint_rate=0.5, sampling="systematic"), np.random.default_rng(0))
    picks = [s.select(Ticket(id=i, type="complaint", created_s=0.0)) for i in range(101)]
    for n in range(1, 102):
        assert sum(picks[:n]) >= int(np.floor(0.5 * n))


@pytest.fixture(scope="module")
def rv_run():
    rules = DeskRules(dunning={"households": 0},
                      complaints={"anonymous_share": 0.2, "sensitive_share": 0.1,
                                  "resolve_mean_days": {"minor": 0.3, "important": 0.3, "major": 0.3}},
                      departments={**DeskRules().departments, "maintenance": DepartmentRules(staff=20),
                                   "customer_service": DepartmentRules(staff=30)})
    lay, store, rep = run_standalone(12, seed=3, rules=rules, calls_per_day=250,
                                     mix={"complaint": 0.6, "repair": 0.4})
    return lay, store, rep


def test_return_visit_rate_and_exclusions_end_to_end(rv_run):
    lay, store, rep = rv_run
    assert rep["ok"]
    conn = store.conn
    t = pd.read_sql("SELECT * FROM tickets", conn)
    ev = pd.read_sql("SELECT ticket_id, kind, to_state, detail FROM events", conn)
    c = t[t["type"] == "complaint"].set_index("id")
    sampled = set(ev.loc[ev["kind"] == "return_visit_sampled", "ticket_id"])
    not_sampled = set(ev.loc[ev["kind"] == "return_visit_not_sampled", "ticket_id"])
    skipped = ev[ev["kind"] == "return_visit_skipped"].set_index("ticket_id")["detail"]
    visited = set(ev.loc[ev["to_state"] == "return_visit", "ticket_id"])
    excluded = c[(c["anonymous"] == 1) | (c["on_spot"] == 1) | (c["sensitive"] == 1)]
    assert len(excluded) > 100
    # exclusion rules: never sampled nor visited, and the reason recorded is the right one
    assert not (set(excluded.index) & (sampled | visited | not_sampled))
    for tid, row in excluded.iterrows():
        if tid in skipped.index:   # resolved ones carry the reason
            want = "anonymous" if row["anonymous"] else "on_spot" if row["on_spot"] else "sensitive"
            assert skipped[tid] == f"reason={want}"
    # complaint rate 0.5 over eligible complaints, repair rate 1.0
    elig = [i for i in c.index if i in sampled or i in not_sampled]
    k = sum(i in sampled for i in elig)
    assert len(elig) > 150 and within_binomial(k, len(elig), 0.5)
    repairs = t[(t["type"] == "repair")]
    rep_resolved = set(ev.loc[(ev["to_state"] == "resolved"), "ticket_id"]) & set(repairs["id"])
    refused = set(skipped[skipped == "reason=do_not_visit"].index)      # residents who refused visits
    assert rep_resolved and rep_resolved - refused <= sampled


def test_repair_return_visit_deadlines_by_kind(rv_run):
    lay, store, _ = rv_run
    checked = {"safety": 0, "leak": 0, "other": 0}
    for tk in lay.tickets.values():
        if tk.type != "repair" or tk.reopens:
            continue
        rule = f"repair_return_visit_{tk.repair_kind}"
        if rule not in tk.due:
            continue
        ev = pd.read_sql(f"SELECT kind, to_state, t_s FROM events WHERE ticket_id={tk.id} ORDER BY seq", store.conn)
        resolved_t = ev.loc[ev["to_state"] == "resolved", "t_s"].iloc[0]
        if tk.repair_kind == "leak":
            test_t = ev.loc[ev["kind"] == "leak_test", "t_s"].iloc[0]
            assert test_t == pytest.approx(resolved_t + 1 * D)
            assert tk.due[rule] == pytest.approx(test_t + 3 * D)
        else:
            assert tk.due[rule] == pytest.approx(resolved_t + 2 * D)
        checked[tk.repair_kind] += 1
    assert min(checked.values()) > 5


def test_night_calls_handed_over_in_the_morning_urgent_repairs_at_once():
    fri22 = at(4, 22)
    lay = run_calls([dict(t=fri22, call_type="complaint", role="night_duty", severity="minor",
                          complaint_class=1, anonymous=False, sensitive=False),
                     dict(t=fri22 + 60, call_type="repair", role="night_duty", urgent=True, repair_kind="other"),
                     dict(t=fri22 + 120, call_type="repair", role="night_duty", urgent=False)],
                    until=at(5, 8, 0))
    # before the morning shift change only the urgent repair is a ticket, and it is being handled at once
    assert len(lay.tickets) == 1
    urgent = lay.tickets[1]
    assert urgent.source == "night_urgent" and urgent.met["urgent_repair_dispatch"] == fri22 + 60
    assert len(lay.night.held) == 2
    lay.env.run(until=at(5, 8, 31))
    handed = [t for t in lay.tickets.values() if t.source == "night_handover"]
    assert len(handed) == 2 and all(t.created_s == at(5, 8, 30) for t in handed)
    comp = next(t for t in handed if t.type == "complaint")
    # response clock starts at the hand-over (Saturday) -> 1 working day = Monday 17:30
    assert comp.due["complaint_response"] == at(7, 17, 30)


def test_dunning_stages_counts_and_outcomes():
    rules = DeskRules(dunning={"households": 1000, "overdue_share": 0.1, "grace_days": 1, "letter_after_days": 5,
                               "home_visit_after_days": 3, "pay_after_reminder": 0.3, "pay_after_letter": 0.3,
                               "pay_delay_mean_days": 1, "sms_share": 0.5, "key_resident_share": 0.0})
    lay = run_calls([], until=at(30, 0), rules=rules, seed=5)
    lay.finish()
    conn = lay.store.conn
    t = pd.read_sql("SELECT * FROM tickets WHERE type='dunning'", conn)
    assert within_binomial(len(t), 1000, 0.1)
    assert (t["created_s"] == 1 * D).all()
    ev = pd.read_sql("SELECT ticket_id, kind, t_s, detail FROM events", conn)
    for tid, g in ev[ev["ticket_id"].isin(t["id"])].groupby("ticket_id"):
        kinds = list(g["kind"])
        rem = g.loc[g["kind"] == "reminder", "t_s"]
        assert len(rem) == 1
        if "letter" in kinds:   # letter exactly letter_after_days after the phone/SMS notice
            assert g.loc[g["kind"] == "letter", "t_s"].iloc[0] == pytest.approx(rem.iloc[0] + 5 * D)
        if "legal" in kinds or "home_visit" in kinds:
            assert "letter" in kinds
    out = t.set_index("id")["outcome"]
    assert set(out.dropna()) <= {"paid_after_reminder", "paid_after_letter", "paid_after_home_visit", "legal"}
    assert (t["state"] == "closed").sum() == out.notna().sum() > 0
    calls = pd.read_sql("SELECT * FROM outbound WHERE kind='dunning_reminder'", conn)
    # sms_share 0.5: about half the cases get a reminder call (agent time), the rest an SMS
    assert within_binomial(calls["ticket_id"].nunique(), len(t), 0.5)
    phone = ev[(ev["kind"] == "reminder") & ev["detail"].str.contains("channel=phone")]
    assert 0 < len(phone) <= calls["ticket_id"].nunique()


def test_department_hours_and_slots():
    env = simpy.Environment()
    cal = Calendar(start_weekday=0)
    dept = Department(env, cal, "m", DepartmentRules(staff=1, days="working"))
    assert dept.next_slot(at(0, 9), 7200) == at(0, 10, 30)
    assert dept.next_slot(at(0, 16, 31), 7200) == at(1, 8, 30)          # 16:30 slot passed, 18:30 closed
    assert dept.next_slot(at(4, 18), 7200) == at(7, 8, 30)              # Friday evening -> Monday
    done = {}

    def job(name, start, dur):
        yield env.timeout(start)
        started = []
        fin = yield from dept.work(dur, on_start=started.append)
        done[name] = (started[0], fin)

    env.process(job("a", at(0, 16, 30), 2 * H))    # 1 h Monday, 1 h Tuesday morning
    env.process(job("b", at(0, 17), 600))           # queued behind a
    env.run(until=at(2, 0))
    assert done["a"] == (at(0, 16, 30), at(1, 9, 30))
    assert done["b"] == (at(1, 9, 30), at(1, 9, 40))


def test_outbound_queue_edf_with_release_times_and_inbound_priority():
    q = OutboundQueue()
    mk = lambda r, d: OutboundTask(ready_s=r, due_s=d, kind="x", talk_s=1.0, on_done=lambda f, r: None)  # noqa
    for r, d in ((0, 30), (0, 10), (0, 20), (100, 1)):
        q.push(mk(r, d))
    assert next_work(inbound_waiting=3, queue=q, now=50) == "inbound"   # inbound first, even if overdue
    assert [q.pop_ready(50).due_s for _ in range(3)] == [10, 20, 30]
    assert q.pop_ready(50) is None and q.next_ready_s() == 100
    assert q.pop_ready(100).due_s == 1


def test_simple_executor_waits_for_inbound_and_serves_edf():
    env = simpy.Environment()
    ex = SimpleOutboundExecutor(env, agents=1, inbound_waiting=lambda: 1 if env.now < 1000 else 0)
    order = []
    for due in (500, 300, 400):
        ex.submit(OutboundTask(ready_s=0, due_s=due, kind="rv", talk_s=50,
                               on_done=lambda f, r, d=due: order.append((d, f, r))))
    env.run(until=2000)
    assert [d for d, _, _ in order] == [300, 400, 500]
    assert all(t.start_s >= 1000 for t in ex.done)
    assert ex.busy_s == 150 and order[-1][2] == "agent"


def test_supervisor_and_manager_visits_can_bypass_the_phone_agents():
    rules = DeskRules(dunning={"households": 0}, return_visits={"by_department": ["supervisor", "manager"],
                                                                "complaint_rate": 1.0},
                      complaints={"severity_probs": (0.4, 0.4, 0.2),
                                  "resolve_mean_days": {"minor": 0.2, "important": 0.2, "major": 0.2}},
                      departments={**DeskRules().departments, "customer_service": DepartmentRules(staff=20)})
    lay, store, rep = run_standalone(8, seed=9, rules=rules, calls_per_day=150, mix={"complaint": 1.0})
    assert rep["ok"]
    o = pd.read_sql("SELECT o.role, t.severity FROM outbound o JOIN tickets t ON t.id=o.ticket_id "
                    "WHERE o.kind='return_visit' AND o.finish_s IS NOT NULL", store.conn)
    by_sev = o.groupby("severity")["role"].agg(lambda r: set(r))
    assert by_sev["important"] == {"supervisor"} and by_sev["major"] == {"manager"}
    assert by_sev["minor"] == {"agent"}
    # the phone agents' executor only ever saw the minor complaints' visits
    agent_tasks = [t for t in lay.outbound.done if t.kind == "return_visit"]
    assert len(agent_tasks) == (o["role"] == "agent").sum() > 0
