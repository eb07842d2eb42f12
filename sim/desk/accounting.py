"""Call accounting: every handled call of the call log is a ticket, a duplicate contact, or a pending hand-over.

The store's own conservation check (``store.check_conservation``) only looks inside the store; this one starts
from the call log. A handled call is accounted for when (a) a ticket carries its ``call_id``, (b) a
``duplicate_contact`` note of an open ticket names it (``call_id=<id>`` in the detail), or (c) it is a night
call still waiting for the morning hand-over when the run ended (table ``pending_handover``). Calls with no
ticket type (the desk disabled) are not passed here.
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable

from sim.desk.store import ConservationError, StoreRows, rows_of_conn

_CALL_ID = re.compile(r"(?:^|;)call_id=(\d+)")


def call_accounting(store: sqlite3.Connection | StoreRows, handled_call_ids: Iterable[int],
                    raise_on_error: bool = False) -> dict:
    """Counts of the handled calls by where they went; ``unaccounted`` lists none of (a)-(c), ``unknown`` are
    store rows naming a call that is not in ``handled_call_ids``. ``store``: a store's connection or its rows
    (``TicketStore.rows()``). Raises ConservationError when asked and either is non-zero."""
    rows = rows_of_conn(store) if isinstance(store, sqlite3.Connection) else store
    handled = {int(c) for c in handled_call_ids}
    tickets = {r[4] for r in rows.tickets if r[4] is not None}
    dups = set()
    for detail in (e[6] for e in rows.events if e[3] == "duplicate_contact"):
        m = _CALL_ID.search(detail or "")
        if m:
            dups.add(int(m.group(1)))
    pending = {r[0] for r in rows.pending if r[0] is not None}
    known = tickets | dups | pending
    rep = {"handled_calls": len(handled), "as_ticket": len(handled & tickets), "duplicate_contact": len(handled & dups),
           "pending_handover": len(handled & pending), "unaccounted": len(handled - known),
           "unknown": len(known - handled)}
    rep["calls_ok"] = rep["unaccounted"] == 0 and rep["unknown"] == 0
    if raise_on_error and not rep["calls_ok"]:
        missing = sorted(handled - known)[:10]
        raise ConservationError(f"handled calls not accounted for by the desk: {rep}; first missing call ids "
                                f"{missing}")
    return rep
