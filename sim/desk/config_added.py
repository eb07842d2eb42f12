"""Rule sections added by the second reading of the customer's documents (frontdesk.md, "Rules sharpened or
added"), embedded in ``DeskRules``. Units: seconds unless the name says ``_days``/``_hours``; shares in [0, 1].
Values the documents do not quantify are marked "assumption"; every one is a scenario parameter.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResultNoticeRules(_Section):
    """Same-day result notice: the resident is told the result on the day the complaint is resolved (an outbound
    call by the agents; noted without a call when the resolution happens on a call)."""

    enabled: bool = True
    talk_s: float = Field(default=120.0, gt=0, description="assumption: mean agent time per notice call incl. ACW")


class ResidentRules(_Section):
    """Residents' wishes and complaint validity."""

    refuse_visit_prob: float = Field(default=0.03, ge=0, le=1, description="assumption: P(a resident reached at a "
                                     "return visit refuses further visits) -> do-not-visit flag, never called "
                                     "again for visits")
    written_reply_share: float = Field(default=0.02, ge=0, le=1, description="assumption: complaints passed on by "
                                       "a higher office that only asks for a written reply (no return visit)")
    written_reply_s: float = Field(default=1800.0, gt=0, description="assumption: staff time of the written reply")
    invalid_share: float = Field(default=0.05, ge=0, le=1, description="assumption: invalid complaints (explained "
                                 "and closed without handling, counted separately)")
    explain_s: float = Field(default=600.0, gt=0, description="assumption: customer-service time to explain")


class OngoingDamageRules(_Section):
    """Ongoing damage first: a major complaint or urgent repair causing ongoing damage is acted on at once, also at
    night (the night-duty technician goes out; the security guard covers the desk meanwhile)."""

    night_major_share: float = Field(default=0.5, ge=0, le=1, description="assumption: share of major complaints "
                                     "logged at night that cause ongoing damage")
    action_mean_s: float = Field(default=3600.0, gt=0, description="assumption: technician time on site")


class MoveInRules(_Section):
    """Move-in inspection: defects found become repair work orders; re-inspection and sign-off when all are done."""

    defect_prob: float = Field(default=0.4, ge=0, le=1, description="assumption: P(inspection finds defects)")
    defects_mean: float = Field(default=2.0, gt=0, description="assumption: mean defects when any (1 + Poisson)")
    reinspection_s: float = Field(default=1800.0, gt=0, description="assumption: re-inspection and sign-off time")


class RenovationRules(_Section):
    """Renovation (its own ticket type): permit, worker passes, rubbish-removal fee at the reception desk; notice
    to maintenance and security; structural changes wait for outside approval."""

    structural_share: float = Field(default=0.1, ge=0, le=1, description="assumption: structural changes")
    approval_mean_days: float = Field(default=10.0, gt=0, description="assumption: outside approval lead time")
    passes_s: float = Field(default=600.0, gt=0, description="assumption: worker passes and fee collection time")
    notice_s: float = Field(default=300.0, gt=0, description="assumption: notice work per department "
                                                              "(maintenance, security)")


class FeeRules(_Section):
    """Home fee-collection appointments: residents may book a visit of the billing staff."""

    home_collection_share: float = Field(default=0.1, ge=0, le=1, description="assumption: fee calls that book a "
                                         "home collection")
    home_collection_s: float = Field(default=1800.0, gt=0, description="assumption: visit time incl. travel")
    lead_mean_days: float = Field(default=1.0, ge=0, description="assumption: mean days to the appointment")


class CustodialRules(_Section):
    """Custodial homes (托管): reduced fee, weekly patrols and patrols after heavy rain (maintenance tickets)."""

    homes: int = Field(default=0, ge=0, le=100000, description="homes under custody")
    patrol_s: float = Field(default=1200.0, gt=0, description="assumption: maintenance time per patrol")
    heavy_rain_per_month: float = Field(default=0.0, ge=0, description="heavy-rain days per month (Poisson)")
    department: str = "maintenance"


class RoutineRules(_Section):
    """Routine desk work booked as staff time of ``department`` (tickets of type 'routine')."""

    enabled: bool = True
    department: str = "customer_service"
    daily_check_s: float = Field(default=900.0, ge=0, description="assumption: daily check of the day's "
                                 "complaints and repairs, fixed part")
    daily_check_per_ticket_s: float = Field(default=20.0, ge=0, description="assumption: per complaint/repair "
                                            "logged that day")
    weekly_report_s: float = Field(default=3600.0, ge=0, description="assumption: weekly return-visit report")
    monthly_summary_s: float = Field(default=3 * 3600.0, ge=0, description="assumption: monthly complaint summary "
                                     "(due before the 25th of the month)")
    repair_summary_s: float = Field(default=2 * 3600.0, ge=0, description="assumption: monthly summary of repair "
                                    "return visits")
    daily_check_at: str = "16:30"
    monthly_summary_day: int = Field(default=20, ge=0, le=23, description="0-based day of the month the summary "
                                     "work starts (due before the 25th: day index 24)")


class CommunityEventRules(_Section):
    """Community events; 10 % of the participants get a return visit call within one month."""

    events_per_month: float = Field(default=0.0, ge=0, description="community events per month (Poisson)")
    participants_mean: float = Field(default=40.0, gt=0, description="assumption: mean participants (Poisson)")
    return_visit_rate: float = Field(default=0.1, ge=0, le=1, description="minimum share of participants called")
    within_days: float = Field(default=30.0, gt=0, description="visits due within this many days of the event")
    talk_s: float = Field(default=150.0, gt=0)
