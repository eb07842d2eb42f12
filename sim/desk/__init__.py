"""Front-desk workflow layer: every handled call becomes a ticket processed end to end (spec: frontdesk.md).

Public API: ``DeskRules`` (config), ``DeskLayer`` (SimPy layer), ``TicketStore`` (SQLite store),
``SimpleOutboundExecutor`` / ``OutboundTask`` / ``OutboundQueue`` / ``next_work`` (outbound blending),
``ticket_metrics`` / ``summary_frame`` (metrics), ``monthly_complaint_summary``, ``Calendar``.
"""
from sim.desk.calendar import Calendar
from sim.desk.config import DeskRules
from sim.desk.layer import DeskLayer
from sim.desk.outbound import OutboundQueue, OutboundTask, SimpleOutboundExecutor, next_work
from sim.desk.store import ConservationError, IncompleteStoreError, StoreError, TicketStore, check_conservation

__all__ = ["Calendar", "DeskRules", "DeskLayer", "OutboundQueue", "OutboundTask", "SimpleOutboundExecutor",
           "next_work", "TicketStore", "StoreError", "IncompleteStoreError", "ConservationError",
           "check_conservation"]
