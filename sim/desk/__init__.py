"""Front-desk workflow layer: every handled call becomes a ticket processed end to end (spec: frontdesk.md).

Public API: ``DeskRules`` (config, ``scenario.desk``), ``DeskLayer`` (SimPy layer), ``DeskFactory`` (hook for
``sim.runner.run(desk_factory=...)``), ``TicketStore`` (SQLite store), ``SimpleOutboundExecutor`` /
``OutboundTask`` / ``OutboundQueue`` / ``next_work`` (outbound blending), ``ticket_metrics`` /
``summary_frame`` (metrics), ``monthly_complaint_summary``, ``Calendar``; stand-alone runs: ``sim.desk.standalone``.
"""
from sim.desk.calendar import Calendar
from sim.desk.config import DeskRules
from sim.desk.hook import DeskFactory, DeskRun
from sim.desk.layer import DeskLayer
from sim.desk.metrics import summary_frame, ticket_metrics
from sim.desk.outbound import OutboundQueue, OutboundTask, SimpleOutboundExecutor, next_work
from sim.desk.store import ConservationError, IncompleteStoreError, StoreError, TicketStore, check_conservation
from sim.desk.summary import monthly_complaint_summary

__all__ = ["Calendar", "DeskRules", "DeskFactory", "DeskRun", "DeskLayer", "OutboundQueue", "OutboundTask",
           "SimpleOutboundExecutor", "next_work", "TicketStore", "StoreError", "IncompleteStoreError",
           "ConservationError", "check_conservation", "ticket_metrics", "summary_frame",
           "monthly_complaint_summary"]
