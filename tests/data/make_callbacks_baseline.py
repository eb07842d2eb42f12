"""Writes tests/data/callbacks_baseline.json: run metrics and call-log hashes of three small variants of the
example scenario on the code BEFORE [callbacks] existed (branch i16callback at fd7d2b7, = main then).
Run from the repo root: PYTHONPATH=. python tests/data/make_callbacks_baseline.py tests/data/callbacks_baseline.json
"""
import hashlib, json, sys
import numpy as np
from sim.scenario import load_scenario
from sim.runner import run

def variants():
    base = load_scenario("scenarios/property_centre.toml")
    yield "property_centre_1day_desk", base.with_changes({"horizon.days": 1, "replications": 2})
    nodesk = base.with_changes({"horizon.days": 1, "replications": 2, "horizon.start_weekday": 4})
    nodesk = nodesk.model_copy(update={"desk": None})
    yield "property_centre_1day_nodesk", nodesk
    ivr = nodesk.with_changes({"telephony.ivr": True, "transfers.destination": "tier2", "transfers.tier2_agents": 1,
                               "call_types.inquiry.ivr_self_service": 0.2, "callers.patience.mean": 40})
    yield "ivr_tier2", ivr

out = {}
for name, sc in variants():
    res = run(sc, jobs=1)
    calls = res.calls
    cols = ["call_id", "arrive", "ivr_end", "enqueue", "answer", "abandon", "talk_end", "acw_end", "talk", "hold",
            "acw", "t2_enqueue", "t2_answer", "t2_end", "caller", "attempt", "origin", "call_type", "outcome",
            "queued", "transferred", "resolved", "agent", "rings", "replication"]
    h = hashlib.sha256(calls[cols].to_csv(index=False).encode()).hexdigest()
    ob = hashlib.sha256(res.outbound.to_csv(index=False).encode()).hexdigest()
    per = {str(i): {k: (None if v != v else float(v)) for k, v in row.items()}
           for i, row in res.per_replication.iterrows()}
    out[name] = {"scenario": json.loads(sc.model_dump_json(exclude_none=True)), "calls_sha256": h,
                 "outbound_sha256": ob, "per_replication": per}
    print(name, len(calls), h[:12])
json.dump(out, open(sys.argv[1], "w"), indent=1)
