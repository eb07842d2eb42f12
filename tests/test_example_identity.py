"""Issue 15 cut the example's fixed cost per replication without changing its results: same seed -> the same
summary numbers (bit for bit), the same calls / visits / interval / outbound / ready tables and the same ticket
tables (every row of every table of each replication's store) as main 4d937fa produced before the cut
(tests/data/make_example_identity_baseline.py wrote tests/data/example_identity_baseline.json). A change that
is meant to change the example's draws or event order must re-record the file with that script and say so."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from same_numbers import assert_same_numbers

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]


def _recorder():
    spec = importlib.util.spec_from_file_location("make_example_identity_baseline",
                                                  DATA / "make_example_identity_baseline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_run_is_identical_to_main():
    want = json.loads((DATA / "example_identity_baseline.json").read_text())
    got = json.loads(json.dumps(_recorder().record(ROOT)))      # the same JSON round trip as the stored file
    assert got["case"] == want["case"]
    assert_same_numbers(got["summary"], want["summary"], rel=0.0, where="summary")
    assert_same_numbers(got["file_store_summary"], want["file_store_summary"], rel=0.0, where="file store summary")
    assert_same_numbers(got["per_replication"], want["per_replication"], rel=0.0, where="per replication")
    assert got["tables"] == want["tables"]
    for i, (g, w) in enumerate(zip(got["stores"], want["stores"], strict=True)):
        assert g == w, f"ticket store of replication {i}"


def test_example_with_two_jobs_is_identical_to_main():
    """The CLI runs replications in one process per core by default: the same numbers for any job count."""
    from sim.runner import run

    want = json.loads((DATA / "example_identity_baseline.json").read_text())
    case = want["case"]
    res = run(ROOT / case["scenario"], replications=case["replications"], seed=case["seed"], jobs=2)
    assert_same_numbers(json.loads(json.dumps(res.to_dict()["metrics"])), want["summary"], rel=0.0, where="jobs=2")
