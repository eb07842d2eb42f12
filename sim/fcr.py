"""First-call resolution measured from behaviour in a call log (metric 17 of ../shared/spec/metrics.md).

A handled call is *resolved at first contact* unless, within the repeat window after it ended (``talk_end``),
the same caller

- calls again about the same call type (any later attempt: blocked, abandoned or answered), or
- gets an agent call-back (an outbound ``callback`` to that caller).

Only call-log columns are read (``caller``, ``call_type``, ``arrive``, ``talk_end``) plus, optionally, the
outbound call-backs (``caller``, ``start``), so the same rule works on a simulated log and on an observed
history log. The simulator's own resolution coin is never read. Contacts after the end of the log are not
seen: calls in the last repeat window of a log count as resolved unless their repeat was observed (FCR is
then an upper bound for them). Times in seconds.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def _next_contact_after(ends: pd.DataFrame, contacts: pd.DataFrame, by: list[str]) -> np.ndarray:
    """For each row of ``ends`` (columns ``by`` + ``t``), the time of the first contact strictly after ``t``
    with the same ``by`` keys (contacts: ``by`` + ``time``); NaN when there is none."""
    if ends.empty or contacts.empty:
        return np.full(len(ends), np.nan)
    left = ends.assign(_row=np.arange(len(ends))).sort_values("t", kind="stable")
    right = contacts.sort_values("time", kind="stable")
    merged = pd.merge_asof(left, right, left_on="t", right_on="time", by=by, direction="forward",
                           allow_exact_matches=False)
    out = np.full(len(ends), np.nan)
    out[merged["_row"].to_numpy()] = merged["time"].to_numpy(dtype=float)
    return out


def resolved_first_contact(calls: pd.DataFrame, handled: np.ndarray, window_s: float,
                           callbacks: pd.DataFrame | None = None) -> np.ndarray:
    """Boolean per row of ``calls``: a handled call (``handled`` mask) with no repeat contact within
    ``window_s`` seconds after it ended (see module docstring). Rows that are not handled are False."""
    handled = np.asarray(handled, dtype=bool)
    resolved = handled.copy()
    if not handled.any():
        return resolved
    caller = calls["caller"].to_numpy()          # any id: an int in the simulator, a phone number in history
    ctype = pd.Series(calls["call_type"]).astype(str).to_numpy()
    end = calls["talk_end"].to_numpy(dtype=float)
    end = np.where(np.isfinite(end), end, calls["answer"].to_numpy(dtype=float))
    idx = np.flatnonzero(handled)
    ends = pd.DataFrame({"caller": caller[idx], "call_type": ctype[idx], "t": end[idx]})
    attempts = pd.DataFrame({"caller": caller, "call_type": ctype, "time": calls["arrive"].to_numpy(dtype=float)})
    again = _next_contact_after(ends, attempts, ["caller", "call_type"])
    repeat = np.isfinite(again) & (again - end[idx] <= window_s)
    if callbacks is not None and len(callbacks):
        cb = pd.DataFrame({"caller": callbacks["caller"].to_numpy().astype(caller.dtype),
                           "time": callbacks["start"].to_numpy(dtype=float)})
        called = _next_contact_after(ends[["caller", "t"]], cb, ["caller"])
        repeat |= np.isfinite(called) & (called - end[idx] <= window_s)
    resolved[idx[repeat]] = False
    return resolved
