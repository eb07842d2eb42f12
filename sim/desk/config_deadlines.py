"""Named deadlines of the front desk (spec §Complaints, §Return visits, "Rules sharpened or added"), part of
``DeskRules`` as ``deadlines``. Compliance is reported per name; every deadline escalates its ticket when missed.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DeadlineUnit = Literal["working_days", "working_hours", "days", "hours", "same_day"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeadlineRule(_Section):
    """A deadline: ``amount`` of ``unit`` after its start event. 'same_day' = midnight ending the start day
    (+ amount whole days); working units use the office calendar."""

    amount: float = Field(ge=0, description="how many units (>= 0)")
    unit: DeadlineUnit = Field(description="working_days | working_hours | days | hours | same_day")


def _dl(amount: float, unit: str) -> DeadlineRule:
    return DeadlineRule(amount=amount, unit=unit)


class DeadlineRules(_Section):
    """Named deadlines (spec §Complaints, §Return visits). Compliance is reported per name."""

    complaint_response: DeadlineRule = _dl(1, "working_days")
    complaint_response_online: DeadlineRule = _dl(4, "hours")
    major_director: DeadlineRule = _dl(0, "same_day")
    major_answer: DeadlineRule = _dl(2, "days")
    major_resolved: DeadlineRule = _dl(10, "days")
    important_escalation: DeadlineRule = _dl(1, "hours")
    important_resolved: DeadlineRule = _dl(3, "days")
    minor_resolved: DeadlineRule = _dl(2, "days")
    complaint_return_visit: DeadlineRule = _dl(3, "days")
    repair_return_visit_safety: DeadlineRule = _dl(2, "days")
    repair_return_visit_leak: DeadlineRule = _dl(3, "days")
    repair_return_visit_other: DeadlineRule = _dl(2, "days")
    inquiry_callback: DeadlineRule = Field(default=_dl(1, "working_days"),
                                           description="assumption: call-back within 1 working day")
    repair_visit_on_time: DeadlineRule = Field(default=_dl(0.5, "hours"),
                                               description="assumption: technician at the agreed slot + 30 min")
    urgent_repair_dispatch: DeadlineRule = Field(default=_dl(1, "hours"),
                                                 description="assumption: 'at once' = on site within 1 h")
    dunning_reminder: DeadlineRule = Field(default=_dl(5, "working_days"),
                                           description="assumption: reminder within 5 working days of overdue")
    result_notice: DeadlineRule = Field(default=_dl(0, "same_day"), description="result told the same day")
    ongoing_damage_action: DeadlineRule = Field(default=_dl(1, "hours"),
                                                description="assumption: 'at once' = on site within 1 h")
    renovation_permit: DeadlineRule = Field(default=_dl(3, "working_days"), description="assumption: permit within "
                                            "3 working days of the appointment (structural: of the approval)")
    community_return_visit: DeadlineRule = _dl(30, "days")
    monthly_summary: DeadlineRule = Field(default=_dl(24, "days"), description="from the month's start: before "
                                          "the 25th (day index 24)")
    general_manager_resolved: DeadlineRule = Field(
        default=_dl(5, "days"), description="assumption: deadline the general manager sets for a ticket escalated "
                                            "to him (spec: 'set by that manager')")
