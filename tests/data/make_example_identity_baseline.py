"""Store what the example produces for a seed, for tests/test_example_identity.py (issue 15: the example's fixed
cost per replication was cut without changing a single number or ticket).

Recorded from main 4d937fa (before the cut). Run from the repository root:
    python tests/data/make_example_identity_baseline.py tests/data/example_identity_baseline.json
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

CASE = {"scenario": "scenarios/property_centre.toml", "replications": 2, "seed": 1}
TABLES = {"tickets": "id", "events": "ticket_id, seq", "deadlines": "ticket_id, rule",
          "outbound": "id", "pending_handover": "rowid"}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def frame_digest(frame) -> str:
    return digest(frame.to_csv(index=False))


def store_digests(path: Path) -> dict:
    """Every ticket table of a store, row by row (in key order, and in rowid order) -> sha256 of the repr."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = {}
    for table, key in TABLES.items():
        out[table] = digest(repr(conn.execute(f"SELECT * FROM {table} ORDER BY {key}").fetchall()))
        out[table + ":rowid_order"] = digest(repr(conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()))
        out[table + ":rows"] = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    conn.close()
    return out


def record(root: Path = Path(".")) -> dict:
    """Run the case twice (tickets in memory, the default; tickets in files, as ``acdsim run --out``) and
    return the numbers and digests."""
    from sim.desk.hook import DeskFactory, store_name
    from sim.runner import run
    from sim.scenario import load_scenario

    sc = load_scenario(root / CASE["scenario"])
    mem = run(sc, replications=CASE["replications"], seed=CASE["seed"])
    with tempfile.TemporaryDirectory() as tmp:
        disk = run(sc, replications=CASE["replications"], seed=CASE["seed"], desk_factory=DeskFactory(tmp))
        stores = [store_digests(Path(tmp) / store_name(i)) for i in range(CASE["replications"])]
    return {
        "case": CASE,
        "summary": mem.to_dict()["metrics"],
        "per_replication": json.loads(mem.per_replication.to_json(orient="split", double_precision=15)),
        "file_store_summary": disk.to_dict()["metrics"],
        "tables": {"calls": frame_digest(mem.calls), "visits": frame_digest(mem.visits),
                   "intervals": frame_digest(mem.intervals), "outbound": frame_digest(mem.outbound),
                   "ready": frame_digest(mem.ready), "calls:rows": len(mem.calls)},
        "stores": stores,
    }


if __name__ == "__main__":
    sys.path.insert(0, ".")
    Path(sys.argv[1]).write_text(json.dumps(record(), indent=1, sort_keys=True) + "\n")
