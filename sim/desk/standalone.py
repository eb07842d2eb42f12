"""Run the desk layer on its own: a synthetic Poisson stream of handled calls (no call model), outbound work
served by a ``SimpleOutboundExecutor``. For tests, benchmarks and demos; the real model replaces the driver.
"""
from __future__ import annotations

import hashlib

import numpy as np
import simpy

from sim.desk.config import DeskRules
from sim.desk.layer import DeskLayer
from sim.desk.store import TicketStore

DEFAULT_MIX = {"inquiry": 0.35, "repair": 0.3, "complaint": 0.1, "fee": 0.1, "move_in": 0.05,
               "other_service": 0.1}


def call_driver(env: simpy.Environment, layer: DeskLayer, rng: np.random.Generator, calls_per_day: float,
                mix: dict[str, float] | None = None, fcr: float = 0.7, callers: int = 3000):
    """SimPy process: calls end at Poisson times (``calls_per_day``, flat over the day); night calls carry
    role 'night_duty'."""
    mix = mix or DEFAULT_MIX
    types, p = list(mix), np.array(list(mix.values()), dtype=float)
    p = p / p.sum()
    cid = 0
    while True:
        yield env.timeout(float(rng.exponential(86400.0 / calls_per_day)))
        cid += 1
        t = env.now
        layer.on_call_handled({
            "call_id": cid, "caller_id": int(rng.integers(0, callers)), "call_type": types[rng.choice(len(types), p=p)],
            "arrive_s": t - 200.0, "answer_s": t - 180.0, "talk_end_s": t, "resolved": bool(rng.random() < fcr),
            "role": "night_duty" if layer.cal.is_night(t) else "agent"})


def run_standalone(days: float, seed: int = 0, rules: DeskRules | None = None, store_path: str = ":memory:",
                   store_mode: str = "new", calls_per_day: float = 150.0, start_weekday: int = 0,
                   mix: dict[str, float] | None = None) -> tuple[DeskLayer, TicketStore, dict]:
    """Simulate ``days`` days; returns (layer, store, conservation report). The store is left open."""
    rules = rules or DeskRules()
    ss = np.random.SeedSequence(seed)
    r_layer, r_calls = (np.random.default_rng(s) for s in ss.spawn(2))
    fingerprint = f"standalone:{int(seed)}:{float(days)!r}:{float(calls_per_day)!r}:{start_weekday}:{hashlib.sha256(rules.model_dump_json().encode()).hexdigest()[:16]}"
    store = TicketStore(store_path, mode=store_mode, fingerprint=fingerprint)
    env = simpy.Environment()
    layer = DeskLayer(env, rules, r_layer, store, None, start_weekday=start_weekday)
    env.process(call_driver(env, layer, r_calls, calls_per_day, mix))
    env.run(until=days * 86400.0)
    rep = layer.finish()
    return layer, store, rep


def run_calls(calls: list[dict], until: float, rules: DeskRules | None = None, seed: int = 0,
              start_weekday: int = 0) -> DeskLayer:
    """Feed hand-built handled calls to a fresh layer (in-memory store) and run to ``until`` (s).

    Each dict has ``t`` (talk end, s) and any call keys/overrides (call_type, role, severity, urgent, ...);
    defaults: agent role, not resolved, caller_id 1000 + index, a valid complaint without a written-reply
    request; default rules: no dunning, no routine work (ticket ids follow the calls). Returns the layer
    (``layer.env`` can be run further)."""
    env = simpy.Environment()
    layer = DeskLayer(env, rules or DeskRules(dunning={"households": 0}, routine={"enabled": False}),
                      np.random.default_rng(seed),
                      TicketStore(":memory:"), None, start_weekday=start_weekday)

    def driver():
        for i, c in enumerate(sorted(calls, key=lambda c: c["t"])):
            yield env.timeout(c["t"] - env.now)
            call = {"call_id": i + 1, "caller_id": 1000 + i, "arrive_s": c["t"] - 60, "answer_s": c["t"] - 50,
                    "talk_end_s": c["t"], "resolved": False, "role": "agent", "invalid": False,
                    "written_reply": False}
            call.update({k: v for k, v in c.items() if k != "t"})
            layer.on_call_handled(call)

    env.process(driver())
    env.run(until=until)
    return layer


if __name__ == "__main__":  # pragma: no cover - used by the crash test as a subprocess
    import sys

    _days, _path, _mode = float(sys.argv[1]), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "new"
    _rules = DeskRules(flush_interval_s=600.0)
    run_standalone(_days, seed=7, rules=_rules, store_path=_path, store_mode=_mode, calls_per_day=300.0)
    print("done", flush=True)
