"""SQLite ticket store (stdlib ``sqlite3``, WAL): one file per run, one transaction per batch of events.

Tables (plain SQL, ``pandas.read_sql``-friendly): ``tickets`` (one row per ticket, current state),
``events`` (every transition/note, key (ticket_id, seq)), ``deadlines`` (ticket_id, rule, due_s, met_s),
``outbound`` (every outbound task: return visits, call-backs, dunning reminders), ``pending_handover`` (night
calls still waiting for the morning hand-over when the run ended, written by ``finish``), ``batches`` (batch number,
sim time, digest) and ``meta`` (status 'running' | 'complete', fingerprint). Times are simulated seconds.

A batch (tickets touched + their new events + deadlines + outbound rows) is never split: batches are committed
``commit_every`` at a time (default 24, a simulated day of hourly batches; one transaction each, since a
transaction's cost is mostly its fixed part), so a killed run leaves the state of its last committed batch: no
half-written ticket. An in-memory store
(':memory:', nothing to resume) keeps the touched objects instead (the ticket, event and task objects
themselves, so they must not change after their last batch without being in a later one, as the desk layer's
sink guarantees) and builds their rows once: ``rows()`` (plain tuples, what the tables would hold, for the
run's own checks and figures) or, when its ``conn`` is read, one transaction: the same final tables, without a
transaction and a digest per batch (its ``batches`` rows carry no digest). Opening an existing store:
mode 'new' refuses (clear message), 'overwrite' discards it, 'resume' replays: the (deterministic) run is
simulated again, already-committed batches are verified against their digests instead of written, and
writing continues after the last one.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
from collections import Counter
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

SCHEMA_VERSION = "1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS tickets (
  id INTEGER PRIMARY KEY, type TEXT NOT NULL, source TEXT NOT NULL, created_s REAL NOT NULL,
  call_id INTEGER, caller_id INTEGER, complaint_class INTEGER, severity TEXT,
  anonymous INTEGER, on_spot INTEGER, sensitive INTEGER, online INTEGER, repair_kind TEXT, urgent INTEGER,
  state TEXT NOT NULL, closed_s REAL, outcome TEXT, reopens INTEGER, escalations INTEGER, last_seq INTEGER);
CREATE TABLE IF NOT EXISTS events (
  ticket_id INTEGER NOT NULL, seq INTEGER NOT NULL, t_s REAL NOT NULL, kind TEXT NOT NULL,
  from_state TEXT, to_state TEXT, detail TEXT, PRIMARY KEY (ticket_id, seq));
CREATE TABLE IF NOT EXISTS deadlines (
  ticket_id INTEGER NOT NULL, rule TEXT NOT NULL, due_s REAL NOT NULL, met_s REAL,
  PRIMARY KEY (ticket_id, rule));
CREATE TABLE IF NOT EXISTS outbound (
  id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL, kind TEXT NOT NULL, ready_s REAL, due_s REAL,
  talk_s REAL, submitted_s REAL, finish_s REAL, role TEXT, outcome TEXT);
CREATE TABLE IF NOT EXISTS pending_handover (
  call_id INTEGER, caller_id INTEGER, call_type TEXT NOT NULL, logged_s REAL NOT NULL);
CREATE TABLE IF NOT EXISTS batches (batch_no INTEGER PRIMARY KEY, t_s REAL, n_rows INTEGER, digest TEXT);
"""
TICKET_COLS = ("id", "type", "source", "created_s", "call_id", "caller_id", "complaint_class", "severity",
               "anonymous", "on_spot", "sensitive", "online", "repair_kind", "urgent", "state", "closed_s",
               "outcome", "reopens", "escalations", "seq")
OUTBOUND_COLS = ("id", "ticket_id", "kind", "ready_s", "due_s", "talk_s", "submitted_s", "finish_s", "role",
                 "outcome")


class StoreError(RuntimeError):
    """The store cannot be used as asked (exists, incomplete, mismatching)."""


class IncompleteStoreError(StoreError):
    """The file holds an interrupted run."""


class ConservationError(AssertionError):
    """Ticket conservation violated (created != closed + open, orphan events, ...)."""


_ticket_values = attrgetter(*TICKET_COLS)
_outbound_row = attrgetter(*OUTBOUND_COLS)


def _ticket_row(t) -> tuple:
    return tuple([int(v) if v.__class__ is bool else v for v in _ticket_values(t)])


_event_row = attrgetter("ticket_id", "seq", "t_s", "kind", "from_state", "to_state", "detail")


def _deadline_rows(tickets) -> list[tuple]:
    return [(t.id, rule, due, t.met.get(rule)) for t in tickets for rule, due in t.due.items()]


def _empty_held() -> dict:
    return {"tickets": {}, "events": [], "outbound": {}, "batches": [], "pending": None}


@dataclass
class StoreRows:
    """Every row of a store's tables in rowid order, as tuples in the tables' column order (``SCHEMA``);
    ``meta`` as a dict."""

    tickets: list
    events: list
    deadlines: list
    outbound: list
    pending: list
    meta: dict


def rows_of_conn(conn: sqlite3.Connection) -> StoreRows:
    """Read a store's tables (``SELECT * ... ORDER BY rowid``)."""
    read = lambda table: conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()  # noqa: E731
    try:
        pending = read("pending_handover")
    except sqlite3.OperationalError:      # stores written before the table existed
        pending = []
    return StoreRows(read("tickets"), read("events"), read("deadlines"), read("outbound"), pending,
                     dict(conn.execute("SELECT key, value FROM meta").fetchall()))


class TicketStore:
    """Writer of one run's store. ``path`` may be ':memory:'. ``fingerprint`` identifies the run (rules +
    seed + inputs); resuming requires the same fingerprint."""

    def __init__(self, path: str | os.PathLike, mode: str = "new", fingerprint: str = "", commit_every: int = 24):
        if mode not in ("new", "overwrite", "resume"):
            raise ValueError(f"store mode must be 'new', 'overwrite' or 'resume', got {mode!r}")
        self.path = str(path)
        self.fingerprint = fingerprint
        self.batch_no = 0
        self.replay_until = 0        # batches <= this are verified, not written (resume)
        memory = self.path == ":memory:"
        exists = not memory and Path(self.path).exists()
        if exists and mode == "overwrite":
            for suffix in ("", "-wal", "-shm"):
                Path(self.path + suffix).unlink(missing_ok=True)
            exists = False
        if exists:
            status, fp, last = describe(self.path)
            if mode == "new":
                if status == "complete":
                    raise StoreError(f"{self.path} already holds a complete run; choose another run directory "
                                     "or overwrite it")
                raise IncompleteStoreError(
                    f"{self.path} holds an interrupted run ({last} batches committed); resume it (same scenario "
                    "and seed) or overwrite it")
            if status == "complete":
                raise StoreError(f"{self.path} holds a complete run; nothing to resume")
            if fp != fingerprint:
                raise StoreError(f"{self.path} was written by a different scenario/seed (fingerprint {fp!r} != "
                                 f"{fingerprint!r}); cannot resume it")
            self.replay_until = last
        if not memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.deferred = memory
        self._held: dict = _empty_held()
        self._written = False        # a deferred store wrote its rows (its conn was read)
        self._rows: StoreRows | None = None
        self._meta: dict[str, str] = {}     # what this writer put in ``meta`` (a deferred store's rows carry it)
        self.commit_every = max(1, int(commit_every))
        self._queued: list[tuple[str, list]] = []     # statements of whole batches not committed yet
        self._queued_batches = 0
        self._conn = sqlite3.connect(self.path, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        if not exists:
            start = {"schema": SCHEMA_VERSION, "status": "running", "fingerprint": fingerprint, "last_batch": "0",
                     "last_t_s": "0"}
            self._tx([("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(start.items()))])
            self._meta.update(start)

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection, with every batch written."""
        self._write_held()
        self._commit()
        return self._conn

    def _queue(self, statements: list[tuple[str, list]], batches: int) -> None:
        """Statements of ``batches`` whole batches (or of none), committed once ``commit_every`` batches are
        queued."""
        self._queued.extend(statements)
        self._queued_batches += batches
        if self._queued_batches >= self.commit_every:
            self._commit()

    def _commit(self) -> None:
        if self._queued:
            statements, self._queued, self._queued_batches = self._queued, [], 0
            self._tx(statements)

    def _tx(self, statements: list[tuple[str, list]]) -> None:
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for sql, rows in statements:
                if rows:
                    cur.executemany(sql, rows)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    def set_meta(self, key: str, value: str) -> None:
        """Store a run attribute (e.g. the rules as JSON) in ``meta`` (committed with what is queued)."""
        self._queue([("INSERT OR REPLACE INTO meta VALUES (?, ?)", [(key, str(value))])], 0)
        self._commit()
        self._meta[key] = str(value)
        if self._rows is not None:
            self._rows.meta[key] = str(value)

    def write_batch(self, t_s: float, tickets, events, outbound=()) -> None:
        """Persist one batch atomically: the touched tickets (full current row + all their deadlines), their
        new events, and touched outbound tasks."""
        if self.deferred:
            if tickets or events or outbound:
                self.batch_no += 1
                self._hold(t_s, tickets, events, outbound)
            return
        trows = [_ticket_row(t) for t in tickets]
        erows = [_event_row(e) for e in events]
        drows = _deadline_rows(tickets)
        orows = [_outbound_row(o) for o in outbound]
        if not (trows or erows or orows):
            return
        self.batch_no += 1
        digest = hashlib.sha256(repr((trows, erows, drows, orows)).encode()).hexdigest()
        if self.batch_no <= self.replay_until:
            row = self.conn.execute("SELECT digest FROM batches WHERE batch_no=?", (self.batch_no,)).fetchone()
            if row is None or row[0] != digest:
                raise StoreError(f"{self.path}: replay diverged from the stored run at batch {self.batch_no}; "
                                 "the store was written by a different run")
            return
        self._write(trows, erows, drows, orows, [(self.batch_no, float(t_s), len(trows) + len(erows) + len(orows),
                                                   digest)], t_s)

    def _hold(self, t_s: float, tickets, events, outbound) -> None:
        """Merge a batch into the held objects: tickets in the order of their last batch (their deadline rows are
        rewritten then, and a replaced deadline row moves to the end, as ``INSERT OR REPLACE`` gives it a new
        rowid), events appended, tasks by id."""
        held = self._held
        order = held["tickets"]
        for t in tickets:
            order.pop(t.id, None)
            order[t.id] = t
        held["events"].extend(events)
        held["outbound"].update((o.id, o) for o in outbound)
        held["batches"].append((self.batch_no, float(t_s), len(tickets) + len(events) + len(outbound), None))
        held["t_s"] = t_s
        self._meta.update(last_batch=str(self.batch_no), last_t_s=repr(float(t_s)))
        self._rows = None

    def _held_rows(self) -> StoreRows:
        """The rows the held objects make (tickets and tasks by id, as their INTEGER PRIMARY KEY orders them)."""
        held = self._held
        by_id = sorted(held["tickets"].values(), key=attrgetter("id"))
        return StoreRows([_ticket_row(t) for t in by_id], [_event_row(e) for e in held["events"]],
                         _deadline_rows(held["tickets"].values()),
                         [_outbound_row(o) for _, o in sorted(held["outbound"].items())],
                         list(held["pending"] or ()), dict(self._meta))

    def _write_held(self) -> None:
        held = self._held
        if not held["batches"] and held["pending"] is None:
            return
        rows = self._held_rows()
        self._held = _empty_held()
        self._write(rows.tickets, rows.events, rows.deadlines, rows.outbound, held["batches"], held.get("t_s"))
        if held["pending"] is not None:
            self._replace_pending(held["pending"])
        self._written = True

    def rows(self) -> StoreRows:
        """Every row of the store's tables (``StoreRows``), as ``SELECT * ... ORDER BY rowid`` returns them. A
        deferred store that has not written builds them from its objects (no SQL)."""
        if self._rows is None:
            if self.deferred and not self._written:
                self._rows = self._held_rows()
            else:
                self._rows = rows_of_conn(self.conn)
        return self._rows

    def _write(self, trows: list, erows: list, drows: list, orows: list, batches: list, t_s: float | None) -> None:
        if t_s is None:      # nothing but the pending hand-over rows
            return
        self._meta.update(last_batch=str(self.batch_no), last_t_s=repr(float(t_s)))
        self._queue([
            (f"INSERT OR REPLACE INTO tickets VALUES ({','.join('?' * len(TICKET_COLS))})", trows),
            ("INSERT INTO events VALUES (?,?,?,?,?,?,?)", erows),
            ("INSERT OR REPLACE INTO deadlines VALUES (?,?,?,?)", drows),
            (f"INSERT OR REPLACE INTO outbound VALUES ({','.join('?' * len(OUTBOUND_COLS))})", orows),
            ("INSERT INTO batches VALUES (?,?,?,?)", batches),
            ("INSERT OR REPLACE INTO meta VALUES (?, ?)",
             [("last_batch", str(self.batch_no)), ("last_t_s", repr(float(t_s)))]),
        ], len(batches))

    def write_pending(self, rows: list[tuple]) -> None:
        """Replace the ``pending_handover`` rows: (call_id, caller_id, call_type, logged_s) per held night call."""
        self._rows = None
        if self.deferred and not self._written:
            self._held["pending"] = list(rows)
            return
        self._write_held()
        self._replace_pending(rows)

    def _replace_pending(self, rows: list[tuple]) -> None:
        self._queue([("DELETE FROM pending_handover WHERE 1=?", [(1,)]),
                     ("INSERT INTO pending_handover VALUES (?,?,?,?)", rows)], 0)
        self._commit()

    def finish(self, t_s: float, check: bool = True) -> dict:
        """Mark the run complete (after the final batch); with ``check`` verify conservation first."""
        if self.batch_no < self.replay_until:
            raise StoreError(f"{self.path}: the replay ended after {self.batch_no} batches but the store has "
                             f"{self.replay_until}; it was written by a different run")
        if not self.deferred:
            self._write_held()
            self._commit()
        report = conservation(self.rows()) if check else {}
        self.set_meta("status", "complete")
        self.set_meta("end_t_s", repr(float(t_s)))
        return report

    def close(self) -> None:
        """Commit the queued batches (whole ones) and close."""
        self._commit()
        self._conn.close()


def describe(path: str | os.PathLike) -> tuple[str, str, int]:
    """(status, fingerprint, last committed batch) of a store file."""
    if not Path(path).is_file():
        raise StoreError(f"no ticket store at {path}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a ticket store ({exc})") from None
    finally:
        conn.close()
    return meta.get("status", "unknown"), meta.get("fingerprint", ""), int(meta.get("last_batch", 0))


def open_readonly(path: str | os.PathLike) -> sqlite3.Connection:
    """Read-only connection to a store file (StoreError if missing)."""
    if not Path(path).exists():
        raise StoreError(f"no ticket store at {path}")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def check_conservation(conn: sqlite3.Connection, raise_on_error: bool = True) -> dict:
    """``conservation`` of a store's tables read from ``conn``."""
    return conservation(rows_of_conn(conn), raise_on_error)


def conservation(rows: StoreRows, raise_on_error: bool = True) -> dict:
    """created = closed + open; every event/deadline/outbound row belongs to a ticket; each ticket's state
    equals the to_state of its last transition and its events are numbered 1..last_seq without gaps, the first
    one 'logged'."""
    state = {t[0]: t[14] for t in rows.tickets}            # id -> state
    last_seq = {t[0]: t[19] for t in rows.tickets}
    n_events, max_seq, last_transition, first = Counter(), {}, {}, {}
    for tid, seq, _, kind, _, to_state, _ in rows.events:
        n_events[tid] += 1
        if seq > max_seq.get(tid, seq - 1):
            max_seq[tid] = seq
        if kind == "transition" and seq >= last_transition.get(tid, (seq, None))[0]:
            last_transition[tid] = (seq, to_state)
        if seq == 1:
            first[tid] = to_state
    closed = sum(s == "closed" for s in state.values())
    rep = {
        "created": len(state), "closed": closed,
        "open": sum(s is not None and s != "closed" for s in state.values()),
        "events": len(rows.events),
        "orphan_events": sum(n for tid, n in n_events.items() if tid not in state),
        "orphan_deadlines": sum(r[0] not in state for r in rows.deadlines),
        "orphan_outbound": sum(r[1] not in state for r in rows.outbound),
        "seq_mismatch": sum(n_events.get(tid, 0) == 0 or n_events[tid] != last or max_seq[tid] != last
                            for tid, last in last_seq.items()),
        "state_mismatch": sum(last_transition.get(tid, (0, None))[1] not in (None, s) for tid, s in state.items()),
        "not_logged_first": sum(first.get(tid) != "logged" for tid in state),
    }
    problems = [k for k in ("orphan_events", "orphan_deadlines", "orphan_outbound", "seq_mismatch",
                            "state_mismatch", "not_logged_first") if rep[k]]
    if rep["created"] != rep["closed"] + rep["open"]:
        problems.append("created != closed + open")
    rep["ok"] = not problems
    if problems and raise_on_error:
        raise ConservationError(f"ticket store inconsistent: {problems}: {rep}")
    return rep
