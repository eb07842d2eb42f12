"""Issue 15, lean hot path: for a fixed seed the call model's raw output is bit-identical to the model before
the hot-path changes (digests recorded on main 4d937fa by ``tests/model_digests.py``) for every scenario in
``scenarios/``, the validation scenarios and the benchmark's workloads, and identical for any job count."""
import json
from pathlib import Path

import pytest

from model_digests import CASES, model_digest

STORED = json.loads((Path(__file__).parent / "data" / "model_digests.json").read_text())


@pytest.mark.parametrize("name", sorted(CASES))
def test_model_output_is_bit_identical_to_main(name):
    build, seed = CASES[name]
    assert model_digest(build(), seed) == STORED[name]


def test_every_feature_is_identical_for_any_job_count():
    from sim.runner import run
    build, _ = CASES["bench_full_12"]
    sc = build().with_changes({"horizon.days": 1})
    one, two = (run(sc, replications=2, seed=4, jobs=jobs, keep_calls=True) for jobs in (1, 2))
    assert one.per_replication.equals(two.per_replication)
    assert one.calls.equals(two.calls)
