"""Front-desk rules (pydantic ``DeskRules``): the defaults of /work/shared/spec/frontdesk.md, all changeable.

Embedded in the scenario as ``scenario.desk``. Units: durations are seconds unless the field name says
``_days``/``_hours``/``_minutes``; clock times are 'HH:MM' strings; days are 0-based day indices of the
horizon (day 0 starts at t = 0). Values the spec does not fix are marked "assumption" in their description.

A planner overrides any rule in the scenario file, e.g.::

    [desk.return_visits]
    complaint_rate = 0.6
    sampling = "systematic"
    [desk.deadlines.complaint_response]
    amount = 4
    unit = "working_hours"
    [desk.departments.maintenance]
    staff = 6
    [desk.calendar]
    holidays = [3, 4]
    summer = [[120, 273]]
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.desk.config_added import (CommunityEventRules, CustodialRules, FeeRules, MoveInRules, OngoingDamageRules,
                                   RenovationRules, ResidentRules, ResultNoticeRules, RoutineRules)
from sim.desk.config_deadlines import DeadlineRule, DeadlineRules, DeadlineUnit  # noqa: F401 (re-exported)
from staffing.timeofday import clock_seconds as clock_s

TICKET_TYPES = ("inquiry", "repair", "complaint", "fee", "move_in", "renovation", "other_service")
SEVERITIES = ("minor", "important", "major")
# common spellings of model call types -> ticket type (``DeskRules.call_type_map`` overrides)
CALL_TYPE_ALIASES = {
    "fee_payment": "fee", "payment": "fee", "billing": "fee", "fees": "fee",
    "move-in": "move_in", "movein": "move_in", "renovations": "renovation",
    "other": "other_service", "other_services": "other_service", "services": "other_service",
    "repair_request": "repair", "repairs": "repair", "complaints": "complaint", "inquiries": "inquiry",
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _check_clock(v: str) -> str:
    clock_s(v)
    return v


class CalendarRules(_Section):
    """Working days/hours (deadline arithmetic) and the duty roster times (who is at the desk)."""

    weekend: list[int] = Field(default=[5, 6], description="weekdays that are not working days (0=Mon..6=Sun)")
    holidays: list[int] = Field(default=[], description="horizon day indices that are public holidays")
    work_start: str = Field(default="08:30", description="office hours start (working-day arithmetic)")
    work_end: str = Field(default="17:30", description="office hours end (working-day arithmetic)")
    summer: list[tuple[int, int]] = Field(
        default=[], description="[from_day, to_day) horizon day ranges on the summer timetable")
    day_start: str = Field(default="08:30", description="day shift start = night duty end (hand-over)")
    noon_start: str = Field(default="12:00", description="noon duty start")
    noon_end: str = Field(default="13:30", description="noon duty end (winter)")
    noon_end_summer: str = Field(default="14:00", description="noon duty end (summer)")
    night_start: str = Field(default="17:30", description="night duty start (winter)")
    night_start_summer: str = Field(default="18:00", description="night duty start (summer)")
    month_days: int = Field(default=30, ge=28, le=31, description="length of a reporting month in days "
                                                                  "(day 0 is the first day of month 0)")

    _clocks = field_validator("work_start", "work_end", "day_start", "noon_start", "noon_end",
                              "noon_end_summer", "night_start", "night_start_summer")(_check_clock)

    @field_validator("weekend")
    @classmethod
    def _weekdays(cls, v):
        bad = [d for d in v if not 0 <= d <= 6]
        if bad or len(set(v)) >= 7:
            raise ValueError(f"weekend must list distinct weekdays 0 (Mon)..6 (Sun), not all seven; got {v}")
        return sorted(set(v))

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, v):
        if any(d < 0 for d in v):
            raise ValueError(f"holidays are horizon day indices >= 0, got {v}")
        return sorted(set(v))

    @field_validator("summer")
    @classmethod
    def _summer(cls, v):
        for a, b in v:
            if not 0 <= a < b:
                raise ValueError(f"summer ranges are [from_day, to_day) with 0 <= from_day < to_day, got {(a, b)}")
        return v

    @model_validator(mode="after")
    def _order(self):
        if clock_s(self.work_start) >= clock_s(self.work_end):
            raise ValueError(f"calendar.work_start ({self.work_start}) must be before work_end ({self.work_end})")
        for end, night in ((self.noon_end, self.night_start), (self.noon_end_summer, self.night_start_summer)):
            if not clock_s(self.day_start) < clock_s(self.noon_start) < clock_s(end) < clock_s(night):
                raise ValueError("calendar times must satisfy day_start < noon_start < noon_end < night_start "
                                 f"(got {self.day_start}, {self.noon_start}, {end}, {night})")
        return self


class DepartmentRules(_Section):
    """A department: ``staff`` parallel servers available on its days between ``start`` and ``end``."""

    staff: int = Field(ge=1, le=1000, description="number of people (1..1000)")
    start: str = "08:30"
    end: str = "17:30"
    days: Literal["all", "working"] = Field(default="all", description="all days or working days only")

    _clocks = field_validator("start", "end")(_check_clock)

    @model_validator(mode="after")
    def _order(self):
        if clock_s(self.start) >= clock_s(self.end):
            raise ValueError(f"department start ({self.start}) must be before end ({self.end})")
        return self


def _default_departments() -> dict[str, DepartmentRules]:
    return {
        "customer_service": DepartmentRules(staff=2),                     # complaint handlers, supervisor
        "maintenance": DepartmentRules(staff=8),
        "developer_liaison": DepartmentRules(staff=1, days="working"),    # class-2 complaints
        "reception": DepartmentRules(staff=1, days="working"),            # move-in / renovation desk
        "services": DepartmentRules(staff=2),                             # other (convenience) services
        "billing": DepartmentRules(staff=1, days="working"),
        "supervisor": DepartmentRules(staff=1),        # the customer-service supervisor (important complaints)
        "manager": DepartmentRules(staff=1),           # the centre's manager (major complaints)
    }


class FlowRules(_Section):
    """Back-office work of one ticket type: department, appointment lead time, work time."""

    department: str | None = Field(description="department doing the work (None: nothing after the call)")
    lead_mean_s: float = Field(default=0.0, ge=0, description="mean agreed delay before the work (exponential)")
    slot_s: int = Field(default=0, ge=0, le=86400, description="appointment grid (0 = no slots)")
    work_mean_s: float = Field(default=1800.0, gt=0, description="mean staff time of the work (gamma, cv 0.5)")


def _default_flows() -> dict[str, FlowRules]:
    return {
        "inquiry": FlowRules(department=None),
        "repair": FlowRules(department="maintenance", lead_mean_s=4 * 3600, slot_s=7200, work_mean_s=3600),
        "complaint": FlowRules(department="customer_service", work_mean_s=1800),
        "fee": FlowRules(department="billing", lead_mean_s=0, work_mean_s=900),
        "move_in": FlowRules(department="reception", lead_mean_s=2 * 86400, slot_s=3600, work_mean_s=2700),
        "renovation": FlowRules(department="reception", lead_mean_s=86400, slot_s=3600, work_mean_s=1800),
        "other_service": FlowRules(department="services", lead_mean_s=86400, slot_s=7200, work_mean_s=3600),
    }


class ComplaintRules(_Section):
    """Complaint classification (spec §Complaints) and handling delays."""

    class_probs: tuple[float, float, float] = Field(default=(0.6, 0.3, 0.1), description="P(class 1, 2, 3)")
    severity_probs: tuple[float, float, float] = Field(default=(0.7, 0.25, 0.05),
                                                       description="P(minor, important, major)")
    anonymous_share: float = Field(default=0.05, ge=0, le=1)
    sensitive_share: float = Field(default=0.02, ge=0, le=1)
    online_per_day: float = Field(default=0.0, ge=0, description="online complaints per day (Poisson), "
                                                                 "not via the phone")
    escalation_work_s: float = Field(default=900.0, gt=0, description="assumption: mean time to escalate "
                                                                       "once a handler picks it up")
    resolve_mean_days: dict[str, float] = Field(
        default={"minor": 1.0, "important": 1.5, "major": 5.0},
        description="assumption: mean elapsed days from response to resolution, per severity")
    class2_developer_days: float = Field(default=5.0, ge=0, description="assumption: mean developer days")
    minor_requested_share: float = Field(default=0.0, ge=0, le=1, description="minor complaints where the "
                                         "resident asks for a later time than the 2-day rule (spec: 'or the "
                                         "resident's requested time'); not quantified by the spec")
    minor_requested_mean_days: float = Field(default=5.0, gt=0, description="mean requested delay, days "
                                                                              "(exponential)")
    dedupe_repeat: bool = Field(default=True, description="repeated complaints about the same problem (the call's "
                                                          "problem_id) while one is open are recorded once")

    @field_validator("class_probs", "severity_probs")
    @classmethod
    def _probs(cls, v):
        if any(p < 0 for p in v) or abs(sum(v) - 1) > 1e-9:
            raise ValueError(f"probabilities must be >= 0 and sum to 1, got {v}")
        return v

    @field_validator("resolve_mean_days", mode="before")
    @classmethod
    def _sev_merge(cls, v):
        return {"minor": 1.0, "important": 1.5, "major": 5.0, **v} if isinstance(v, dict) else v

    @field_validator("resolve_mean_days")
    @classmethod
    def _sev(cls, v):
        if set(v) != set(SEVERITIES) or any(x <= 0 for x in v.values()):
            raise ValueError(f"resolve_mean_days needs positive values for exactly {SEVERITIES}, got {v}")
        return v


class RepairRules(_Section):
    repair_kind_probs: dict[str, float] = Field(default={"safety": 0.1, "leak": 0.2, "other": 0.7})
    leak_test_delay_s: float = Field(default=86400.0, ge=0, description="leak test after the repair")
    paid_share: float = Field(default=0.4, ge=0, le=1, description="share of paid (out-of-warranty) repairs")
    night_urgent_share: float = Field(default=0.3, ge=0, le=1, description="share of night repair calls that "
                                                                             "are urgent (dispatched at once)")
    night_visit_mean_s: float = Field(default=3600.0, gt=0)

    @field_validator("repair_kind_probs")
    @classmethod
    def _kinds(cls, v):
        if set(v) != {"safety", "leak", "other"} or any(p < 0 for p in v.values()) or abs(sum(v.values()) - 1) > 1e-9:
            raise ValueError(f"repair_kind_probs needs safety, leak, other >= 0 summing to 1, got {v}")
        return v


class ReturnVisitRules(_Section):
    """Return visits (spec §Return visits): outbound calls by the desk agents."""

    _clock = field_validator("selection_time")(_check_clock)

    complaint_rate: float = Field(default=0.5, ge=0, le=1, description="sample rate of eligible complaints")
    repair_rate: float = Field(default=1.0, ge=0, le=1, description="sample rate of repairs")
    sampling: Literal["period_minimum", "bernoulli", "systematic"] = Field(
        default="period_minimum", description="period_minimum: at least ceil(rate * n) of the n eligible tickets "
                                              "of each reporting period, chosen at random at the daily selection; "
                                              "bernoulli: each ticket independently (rate met only on average); "
                                              "systematic: every 1/rate-th")
    selection_time: str = Field(default="17:00", description="clock time of the daily return-visit selection "
                                                             "(period_minimum sampling)")
    talk_s: float = Field(default=150.0, gt=0, description="mean agent time per return-visit call incl. ACW")
    by_department: list[Literal["assistant", "supervisor", "manager"]] = Field(
        default=["supervisor", "manager"],
        description="performers whose return visits take their own time (department of that name, else "
                    "customer_service) instead of a phone agent's; default: the supervisor (important complaints) "
                    "and the manager (major) make theirs, minor ones are made by the agents (assistants)")
    reach_prob: float = Field(default=0.85, ge=0, le=1)
    max_attempts: int = Field(default=3, ge=1, le=20)
    retry_after_s: float = Field(default=7200.0, ge=0)
    dissatisfied_prob: dict[str, float] = Field(default={"complaint": 0.1, "repair": 0.05},
                                                description="P(resident dissatisfied -> reopen) per type")

    @field_validator("dissatisfied_prob", mode="before")
    @classmethod
    def _dissatisfied(cls, v):
        if not isinstance(v, dict):
            return v
        bad = {k: p for k, p in v.items() if k not in ("complaint", "repair") or not 0 <= float(p) <= 1}
        if bad:
            raise ValueError(f"dissatisfied_prob: keys complaint/repair with values in [0, 1]; bad: {bad}")
        return {"complaint": 0.1, "repair": 0.05, **v}


class CallbackRules(_Section):
    """Inquiries not answered on the call: call-back at an agreed time (outbound)."""

    agreed_mean_s: float = Field(default=4 * 3600.0, ge=0, description="mean delay to the agreed time")
    talk_s: float = Field(default=180.0, gt=0)


class DunningRules(_Section):
    """Fee dunning (spec §Fees and dunning). A month is ``calendar.month_days`` days."""

    households: int = Field(default=2000, ge=0)
    billing_day: int = Field(default=0, ge=0, le=27, description="day of the month bills are issued")
    grace_days: float = Field(default=15.0, ge=0, description="days after billing before an account is overdue")
    overdue_share: float = Field(default=0.05, ge=0, le=1)
    initial_overdue: int = Field(default=0, ge=0, description="accounts already overdue at t=0 (notice age "
                                                              "uniform over the last 6 months)")
    sms_share: float = Field(default=0.3, ge=0, le=1, description="reminders sent by SMS (no agent time)")
    talk_s: float = Field(default=150.0, gt=0)
    reach_prob: float = Field(default=0.8, ge=0, le=1)
    max_attempts: int = Field(default=3, ge=1, le=20)
    pay_after_reminder: float = Field(default=0.6, ge=0, le=1)
    pay_delay_mean_days: float = Field(default=10.0, gt=0)
    letter_after_days: float = Field(default=90.0, ge=0, description="letter if unpaid this long after the "
                                                                      "phone notice")
    pay_after_letter: float = Field(default=0.4, ge=0, le=1)
    home_visit_after_days: float = Field(default=30.0, ge=0)
    on_site_share: float = Field(default=0.6, ge=0, le=1, description="non-payers living on site (home visit)")
    pay_after_home_visit: float = Field(default=0.5, ge=0, le=1)
    home_visit_department: str = "customer_service"
    home_visit_s: float = Field(default=1800.0, gt=0)
    key_resident_share: float = Field(default=0.1, ge=0, le=1, description="assumption: key residents (older, "
                                      "long-term) among the overdue: reminded by a visit, not phone/SMS")


class OutboundRules(_Section):
    """Stand-alone outbound executor (used when no call model is plugged in)."""

    agents: int = Field(default=2, ge=0, le=1000)


class DeskRules(_Section):
    """All front-desk workflow rules. Every field has the spec's default."""

    enabled: bool = True
    calendar: CalendarRules = CalendarRules()
    deadlines: DeadlineRules = DeadlineRules()
    departments: dict[str, DepartmentRules] = Field(default_factory=_default_departments)
    flows: dict[str, FlowRules] = Field(default_factory=_default_flows)
    complaints: ComplaintRules = ComplaintRules()
    repairs: RepairRules = RepairRules()
    return_visits: ReturnVisitRules = ReturnVisitRules()
    callbacks: CallbackRules = CallbackRules()
    dunning: DunningRules = DunningRules()
    outbound: OutboundRules = OutboundRules()
    result_notice: ResultNoticeRules = ResultNoticeRules()
    residents: ResidentRules = ResidentRules()
    ongoing_damage: OngoingDamageRules = OngoingDamageRules()
    move_in: MoveInRules = MoveInRules()
    renovation: RenovationRules = RenovationRules()
    fees: FeeRules = FeeRules()
    custodial: CustodialRules = CustodialRules()
    routine: RoutineRules = RoutineRules()
    community: CommunityEventRules = CommunityEventRules()
    call_type_split: dict[str, dict[str, float]] = Field(
        default={"move_in_renovation": {"move_in": 0.5, "renovation": 0.5}},
        description="model call type -> {ticket type: probability}: a call type covering several ticket types "
                    "(assumption: move-in and renovation calls are half and half)")
    call_type_map: dict[str, str] = Field(
        default={}, description="model call type -> ticket type, for call types not named like a ticket type")
    unknown_call_type: Literal["inquiry", "other_service", "error"] = Field(
        default="inquiry", description="ticket type for unmapped call types ('error' raises)")
    escalate_overdue: bool = Field(default=True, description="escalate one level up the ladder when any deadline "
                                                              "passes unmet")
    flush_interval_s: float = Field(default=3600.0, gt=0, description="simulated seconds between store batches")

    @field_validator("departments", "flows", mode="before")
    @classmethod
    def _merge_defaults(cls, v, info):
        """A scenario lists only what it changes: entries merge over the defaults, field by field."""
        if not isinstance(v, dict):
            return v
        defaults = _default_departments() if info.field_name == "departments" else _default_flows()
        out = dict(defaults)
        for name, entry in v.items():
            if isinstance(entry, dict) and name in defaults:
                entry = {**defaults[name].model_dump(), **entry}
            out[name] = entry
        return out

    @model_validator(mode="after")
    def _refs(self):
        missing = [t for t in TICKET_TYPES if t not in self.flows]
        if missing:
            raise ValueError(f"desk.flows must define every ticket type {TICKET_TYPES}; missing {missing}")
        for name, flow in self.flows.items():
            if name not in TICKET_TYPES:
                raise ValueError(f"desk.flows.{name}: unknown ticket type; allowed {TICKET_TYPES}")
            if flow.department is None and name != "inquiry":
                raise ValueError(f"desk.flows.{name}.department is required (only inquiry may have none)")
            if flow.department is not None and flow.department not in self.departments:
                raise ValueError(f"desk.flows.{name}.department {flow.department!r} is not in desk.departments "
                                 f"{sorted(self.departments)}")
        for need in ("customer_service", "developer_liaison", self.dunning.home_visit_department):
            if need not in self.departments:
                raise ValueError(f"desk.departments must define {need!r}")
        for k, split in self.call_type_split.items():
            if (any(v not in TICKET_TYPES or p < 0 for v, p in split.items())
                    or abs(sum(split.values()) - 1) > 1e-9):
                raise ValueError(f"desk.call_type_split[{k!r}]: ticket types {TICKET_TYPES} with probabilities "
                                 f">= 0 summing to 1; got {split}")
        for need in (self.routine.department, self.custodial.department):
            if need not in self.departments:
                raise ValueError(f"desk.departments must define {need!r} (routine/custodial work)")
        for k, v in self.call_type_map.items():
            if v not in TICKET_TYPES:
                raise ValueError(f"desk.call_type_map[{k!r}] = {v!r}; allowed {TICKET_TYPES}")
        return self

    def ticket_type(self, call_type: str, u: float | None = None) -> str:
        """Ticket type of a model call type (mapping, split by ``u`` ~ U(0, 1) (default 0.5), identity, alias, then
        ``unknown_call_type``)."""
        if call_type in self.call_type_map:
            return self.call_type_map[call_type]
        if call_type in self.call_type_split:
            acc, u = 0.0, 0.5 if u is None else u
            for ttype, p in self.call_type_split[call_type].items():
                acc += p
                if u < acc:
                    return ttype
            return ttype
        if call_type in TICKET_TYPES:
            return call_type
        if call_type in CALL_TYPE_ALIASES:
            return CALL_TYPE_ALIASES[call_type]
        if self.unknown_call_type == "error":
            raise ValueError(f"call type {call_type!r} is not a ticket type {TICKET_TYPES}; "
                             "add it to desk.call_type_map")
        return self.unknown_call_type
