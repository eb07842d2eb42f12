"""Skills routing, the walk-in counter and call-backs in one run: the example centre (two skill groups and a
counter) with call-backs offered. Each part was built on its own; this checks that they work together — every
queued caller who accepts a call-back leaves the router's queue, visitors are served by the routed agents, and
the call-backs near their deadline go first under routing too."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sim.metrics import compute_metric_tables
from sim.model import CallCentreModel
from sim.scenario import load_scenario, validate_scenario

ROOT = Path(__file__).resolve().parents[1]
CB = {"offer_after_s": 20, "accept_prob": 0.5, "answer_prob": 0.9, "deadline_s": 1800, "priority": "near_deadline",
      "urgent_before_s": 600}


def _run(callbacks: dict | None, seed: int = 7):
    sc = load_scenario(ROOT / "scenarios/property_centre.toml")
    assert sc.routing is not None and sc.counter is not None, "the example has skill groups and a counter"
    data = sc.model_dump(mode="json", exclude_none=True)
    if callbacks is not None:
        data["callbacks"] = callbacks
    sc = validate_scenario({k: v for k, v in data.items() if k != "desk"}, base_dir=ROOT / "scenarios")
    out = CallCentreModel(sc, seed).run()
    frame = out.calls.frame(sc.type_names())
    run = compute_metric_tables(out, sc, np.random.default_rng(0), calls=frame).run
    return sc, out, frame, run


def test_routing_counter_and_callbacks_together():
    sc, out, frame, run = _run(CB)
    assert run["callbacks_accepted"] > 0, "queued callers under routing are offered call-backs"
    assert run["callbacks_connected"] > 0 and run["callbacks_connected"] <= run["callbacks_accepted"]
    assert out.visits is not None and (np.asarray(out.visits.frame(list(sc.counter.purposes))["outcome"]) == "served").sum() > 0
    assert set(out.agent_groups) >= {"front_desk", "senior"}
    # every callback outcome left the queue: no call both accepted a call-back and was answered
    cb = frame[frame["outcome"] == "callback"]
    assert len(cb) == run["callbacks_accepted"]
    assert cb["answer"].isna().all()


def test_callbacks_lower_abandonment_under_routing():
    """Same seed with and without call-backs: accepted call-backs leave the queue, so fewer callers hang up
    (paired on common random numbers; one week of the example, a large effect at accept_prob 0.5)."""
    _, _, _, without = _run(None)
    _, _, _, with_cb = _run(CB)
    assert with_cb["abandoned"] < without["abandoned"]


def test_routing_and_callback_scenarios_are_not_split_into_pieces():
    """sim.split combines the 23 metrics across pieces but not the per-group breakdown nor the call-back delay
    percentile: such scenarios are refused with one clear error rather than losing those numbers."""
    import pytest

    from sim.scenario import ScenarioError
    from sim.split import piece_scenarios

    sc = load_scenario(ROOT / "scenarios/property_centre.toml")
    data = json.loads(sc.model_dump_json(exclude_none=True))
    for key in ("desk", "counter"):
        data.pop(key, None)
    routed = validate_scenario(data, base_dir=ROOT / "scenarios")
    with pytest.raises(ScenarioError, match=r"\[routing\] cannot be split"):
        piece_scenarios(routed, 2, 1)
    data.pop("routing")
    for shift in data["agents"].get("shifts") or []:
        shift.pop("group", None)
    with pytest.raises(ScenarioError, match=r"\[callbacks\] cannot be split"):
        piece_scenarios(validate_scenario(data | {"callbacks": CB}, base_dir=ROOT / "scenarios"), 2, 1)
