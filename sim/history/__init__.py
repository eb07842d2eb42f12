"""A centre's own history — phone-system exports read into the simulator's call-log format.

``read_queue_log`` (Asterisk ``queue_log``), ``read_cdr`` (call-detail CSV of any ACD, with a column map)
return an ``ObservedLog`` (``sim.history.observed``); ``read_interval_report`` returns an interval table
(``sim.history.interval_report``). ``acdsim import`` writes a run folder from them.
"""
from sim.history.observed import HistoryError, ObservedLog, Problems, QUEUE_EXITS, PATIENCE_EVENTS

_LAZY = {"read_queue_log": "sim.history.queue_log", "read_cdr": "sim.history.cdr",
         "read_interval_report": "sim.history.interval_report", "IntervalReport": "sim.history.interval_report"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim.history' has no attribute {name!r}")


__all__ = ["HistoryError", "IntervalReport", "ObservedLog", "PATIENCE_EVENTS", "Problems", "QUEUE_EXITS",
           "read_cdr", "read_interval_report", "read_queue_log"]
