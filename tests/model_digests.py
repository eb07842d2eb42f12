"""Digests of the call model's raw output (call log columns, ready periods, outbound tasks, counter visits) for a
fixed seed, per scenario: the lean hot path (issue 15) must reproduce the model it replaced bit for bit.

``python tests/model_digests.py OUT.json`` (from the repository root) records them; the stored
``tests/data/model_digests.json`` was recorded on main 4d937fa, before the hot-path changes of branch p2.
Each case digests replication 0 built exactly as ``sim.runner.run_replication`` builds it (its ``[desk]``
layer included), one sha256 per part so that a mismatch names what changed.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_sim import scenario_full, scenario_mmcm  # noqa: E402
from sim.calllog import FLOAT_COLUMNS, INT_COLUMNS  # noqa: E402
from sim.model import CallCentreModel  # noqa: E402
from sim.runner import default_desk_factory, replication_seed  # noqa: E402
from sim.scenario import load_scenario, validate_scenario  # noqa: E402


def _plain(sc):
    """The example without its desk, counter and routing: the path where talk end and ACW are decided at the
    answer (no hook at talk end)."""
    return sc.model_copy(update={"desk": None, "counter": None, "routing": None})


CASES = {   # name -> (scenario builder, seed)
    "property_centre": (lambda: load_scenario(ROOT / "scenarios" / "property_centre.toml").resolved(), 2026),
    "property_centre_plain": (lambda: _plain(load_scenario(ROOT / "scenarios" / "property_centre.toml").resolved()),
                              7),
    "callbacks": (lambda: load_scenario(ROOT / "scenarios" / "callbacks.toml").resolved(), 11),
    "mmc_erlang_c": (lambda: load_scenario(ROOT / "scenarios" / "validation" / "mmc_erlang_c.toml"), 1),
    "mmcc_erlang_b": (lambda: load_scenario(ROOT / "scenarios" / "validation" / "mmcc_erlang_b.toml"), 1),
    "mmcm_erlang_a": (lambda: load_scenario(ROOT / "scenarios" / "validation" / "mmcm_erlang_a.toml"), 1),
    "bench_mmcm_12": (lambda: validate_scenario(scenario_mmcm(12, 200.0, 2, 180.0, 120.0)), 1),
    "bench_full_12": (lambda: validate_scenario(scenario_full(12, 200.0, 2, 180.0, 120.0)), 1),
    "bench_full_60": (lambda: validate_scenario(scenario_full(60, 1000.0, 1, 180.0, 120.0)), 3),
}


def _sha(parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode())
    return h.hexdigest()


def model_digest(sc, seed: int) -> dict[str, str]:
    """sha256 per output part of replication 0 of ``sc`` with ``seed``."""
    ss = replication_seed(seed, 0)
    model_seed, _ = ss.spawn(2)
    factory = default_desk_factory(sc)
    desk = factory(sc, ss) if factory is not None else None
    model = CallCentreModel(sc, model_seed, desk=desk)
    if desk is not None and hasattr(desk, "attach"):
        desk.attach(model)
    out = model.run()
    calls = out.calls
    digest = {"attempts": str(calls.n)}
    digest["calls"] = _sha(calls.column(name).tobytes() for name in (*FLOAT_COLUMNS, *INT_COLUMNS))
    ready = out.ready.frame()
    digest["ready"] = _sha(np.ascontiguousarray(ready[c].to_numpy()).tobytes() for c in ready.columns)
    digest["outbound"] = _sha(out.outbound.rows)
    digest["agents"] = _sha([out.agent_roles, out.agent_groups])
    if out.visits is not None:
        digest["visits"] = _sha(np.ascontiguousarray(v.to_numpy()).tobytes() if v.dtype.kind in "biuf"
                                else repr(list(v)) for _, v in out.visits.frame(list(sc.counter.purposes)).items())
    return digest


def all_digests() -> dict[str, dict[str, str]]:
    return {name: model_digest(build(), seed) for name, (build, seed) in CASES.items()}


if __name__ == "__main__":
    json.dump(all_digests(), open(sys.argv[1], "w"), indent=1, sort_keys=True)
