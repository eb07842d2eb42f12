"""Store run metrics of the pre-routing model (main fd7d2b7) for tests/test_routing_identity.py.

Run from the repository root: PYTHONPATH=. python tests/data/make_routing_identity_baseline.py OUT.json
"""
import json, sys
from sim.runner import run_replication
from sim.scenario import load_scenario

CASES = {
    "property_centre": ("scenarios/property_centre.toml", {"horizon.days": 2}, 2, 7),
    "mmcm_erlang_a": ("scenarios/validation/mmcm_erlang_a.toml", {"horizon.days": 1}, 2, 3),
    "features": (None, {}, 2, 5),
}
FEATURES = {
    "name": "features", "horizon": {"days": 1, "interval_minutes": 30},
    "arrivals": {"calls_per_hour": 120},
    "call_types": {"a": {"share": 0.6, "priority": 1, "talk": {"family": "exponential", "mean": 200},
                         "acw": {"family": "gamma", "mean": 30, "cv": 0.5}, "transfer_prob": 0.1, "fcr": 0.8,
                         "repeat_delay": {"family": "exponential", "mean": 3600}},
                   "b": {"share": 0.4, "talk": {"family": "lognormal", "mean": 150, "cv": 0.7},
                         "ivr_self_service": 0.2, "hold_prob": 0.2}},
    "telephony": {"trunks": 12, "ivr": True},
    "callers": {"patience": {"family": "exponential", "mean": 90}, "redial_prob_abandon": 0.5,
                "redial_prob_busy": 0.7},
    "transfers": {"destination": "tier2", "tier2_agents": 2},
    "agents": {"shifts": [{"name": "early", "start": "06:00", "end": "15:00", "count": 5,
                            "breaks": [{"start": "11:00", "minutes": 30}]},
                           {"name": "late", "start": "13:00", "end": "22:00", "count": 4}],
               "absenteeism": 0.05, "adherence": 0.9},
}
out = {}
for name, (path, changes, reps, seed) in CASES.items():
    from sim.scenario import validate_scenario
    sc = load_scenario(path).with_changes(changes) if path else validate_scenario(FEATURES)
    out[name] = [run_replication(sc, seed, i, keep_calls=False).run for i in range(reps)]
json.dump(out, open(sys.argv[1], "w"), indent=1, sort_keys=True)
