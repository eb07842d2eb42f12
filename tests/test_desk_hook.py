"""The runner glue: DeskFactory/DeskRun with a stand-in model (numpy ids, outbound via ``group.submit``) and
with the real call model on the shipped scenario."""
from pathlib import Path

import numpy as np
import simpy

from sim.desk.hook import DeskFactory, store_name
from sim.desk.outbound import SimpleOutboundExecutor
from sim.desk.store import describe


class FakeModel:
    def __init__(self):
        self.env = simpy.Environment()
        self.rng = {"desk": np.random.default_rng(3)}
        self.group = SimpleOutboundExecutor(self.env, agents=1, role="agent")


def test_factory_with_stand_in_model(tmp_path):
    ss = np.random.SeedSequence(5, spawn_key=(1,))
    run = DeskFactory(tmp_path, mode="new")(scenario=object(), seed=ss)
    model = FakeModel()
    run.attach(model)

    def calls():
        for i in range(40):
            yield model.env.timeout(1800)
            run.on_call_handled({"call_id": np.int64(i), "caller_id": np.int64(i % 7),
                                 "call_type": ["repair", "inquiry", "complaint"][i % 3],
                                 "arrive_s": np.float64(model.env.now - 90), "answer_s": model.env.now - 80,
                                 "talk_end_s": model.env.now, "resolved": np.bool_(i % 2), "role": "agent"})

    model.env.process(calls())
    model.env.run(until=5 * 86400)
    out = run.finish(model)
    path = Path(tmp_path) / store_name(1)
    assert path.name == "tickets_rep1.sqlite" and describe(path)[0] == "complete"
    rep = out["desk_conservation"]
    assert rep["ok"] and rep["created"] == out["run_metrics"]["desk.tickets.total"] > 20
    assert out["run_metrics"]["desk.outbound.return_visit.made"] > 0   # served by the model's group
    assert len(model.group.done) == out["run_metrics"]["desk.outbound.agent_calls"]


def test_real_model_one_week(tmp_path):
    import sim

    sc = sim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "property_centre.toml")
    res = sim.run(sc, replications=1, seed=1, desk_factory=DeskFactory(tmp_path))
    s = res.summary["mean"]
    assert s["desk.tickets.total"] > 100
    # every outbound call the desk's agents made shows in the model's outbound count (blended into the centre's
    # load); the supervisor's and manager's own return visits take their time instead
    made = sum(v for k, v in s.items() if k.startswith("desk.outbound.") and k.endswith(".made"))
    assert s["desk.outbound.agent_calls"] == s["outbound_calls"] > 0
    assert made >= s["outbound_calls"]
    assert describe(tmp_path / "tickets.sqlite")[0] == "complete"
