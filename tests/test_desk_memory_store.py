"""An in-memory ticket store merges its batches and writes them once (``TicketStore.deferred``): its tables must
be exactly those of a file store written batch by batch — same rows, in the same
row order."""
from sim.desk.standalone import run_standalone
from sim.desk.store import TicketStore

TABLES = ("tickets", "events", "deadlines", "outbound", "pending_handover")


def _tables(conn) -> dict:
    # in rowid order (what a query without ORDER BY returns); the rowid values themselves differ, as a replaced
    # row takes the next free rowid
    out = {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}
    out["batches"] = conn.execute("SELECT batch_no, t_s, n_rows FROM batches").fetchall()
    out["meta"] = dict(conn.execute("SELECT key, value FROM meta WHERE key NOT IN ('fingerprint')").fetchall())
    return out


def test_memory_store_equals_file_store(tmp_path):
    _, mem, rep_mem = run_standalone(6, seed=4, store_path=":memory:", calls_per_day=250)
    _, disk, rep_disk = run_standalone(6, seed=4, store_path=str(tmp_path / "t.sqlite"), calls_per_day=250)
    assert mem.deferred and not disk.deferred
    a, b = _tables(mem.conn), _tables(disk.conn)
    assert len(a["tickets"]) > 500 and len(a["batches"]) > 20
    # deadline rows are replaced many times (met, reopened): their order shows the replace semantics
    assert len(a["deadlines"]) > 100
    for name in b:
        assert a[name] == b[name], name
    assert rep_mem == rep_disk


def test_memory_store_writes_held_batches_when_read():
    store = TicketStore(":memory:")

    class T:   # the attributes a ticket row is built from
        id, type, source, created_s, call_id, caller_id = 1, "repair", "call", 0.0, 5, 7
        complaint_class = severity = repair_kind = closed_s = outcome = None
        anonymous = on_spot = sensitive = online = urgent = False
        state, reopens, escalations, seq = "logged", 0, 0, 1
        due, met = {"respond": 60.0}, {}

    store.write_batch(10.0, [T()], [])
    assert store._held["batches"]                       # held, not written yet
    assert store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1
    assert store.conn.execute("SELECT COUNT(*) FROM deadlines").fetchone()[0] == 1
    assert not store._held["batches"]
