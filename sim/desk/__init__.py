"""Front-desk workflow layer: every handled call becomes a ticket processed end to end (spec: frontdesk.md).

Public API: ``DeskRules`` (config, ``scenario.desk``), ``DeskLayer`` (SimPy layer), ``DeskFactory`` (hook for
``sim.runner.run(desk_factory=...)``), ``TicketStore`` (SQLite store), ``SimpleOutboundExecutor`` /
``OutboundTask`` / ``OutboundQueue`` / ``next_work`` (outbound blending), ``ticket_metrics`` /
``summary_frame`` (metrics), ``monthly_complaint_summary``, ``Calendar``, ``call_accounting`` (every handled call
accounted for), ``desk_figures`` / ``wilson_ci`` / ``pooled_proportion_ci`` (figures with domain-respecting CIs); stand-alone runs: ``sim.desk.standalone``.
"""
import importlib

_WHERE = {
    "Calendar": "calendar", "DeskRules": "config", "DeskFactory": "hook", "DeskRun": "hook", "DeskLayer": "layer",
    "summary_frame": "metrics", "ticket_metrics": "metrics", "OutboundQueue": "outbound",
    "OutboundTask": "outbound", "SimpleOutboundExecutor": "outbound", "next_work": "outbound",
    "ConservationError": "store", "IncompleteStoreError": "store", "StoreError": "store", "TicketStore": "store",
    "check_conservation": "store", "monthly_complaint_summary": "summary", "call_accounting": "accounting",
    "desk_figures": "figures", "wilson_ci": "figures", "pooled_proportion_ci": "figures",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    """Load on first use: the scenario schema imports ``sim.desk.config`` without the whole layer."""
    if name in _WHERE:
        return getattr(importlib.import_module(f"sim.desk.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'sim.desk' has no attribute {name!r}")
