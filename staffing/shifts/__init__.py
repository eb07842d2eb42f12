"""Shift scheduling: templates from rules, a pyomo integer model solved by HiGHS, rosters and verification.

Public API::

    from staffing.shifts import ShiftRules, schedule
    result = schedule(requirement, interval_s=1800, rules=ShiftRules())   # -> ScheduleResult
    result.roster        # DataFrame in the simulator's roster format (api_contract.md)
    result.coverage      # per interval: required, on_phone_min/mean, on_site_mean, under, over
"""
from staffing.shifts.roster import (ROSTER_COLUMNS, read_roster_csv, roster_coverage, roster_from_solution,
                                    write_roster_csv)
from staffing.shifts.rules import BreakRule, DaysOffRule, DutyWindow, ShiftRules, ShiftType
from staffing.shifts.solve import (InfeasibleScheduleError, ScheduleResult, ScheduleSolveError, interval_label,
                                   schedule)
from staffing.shifts.templates import TemplateSet, generate_templates

__all__ = [
    "BreakRule", "DaysOffRule", "DutyWindow", "InfeasibleScheduleError", "ROSTER_COLUMNS", "ScheduleResult",
    "ScheduleSolveError", "ShiftRules", "ShiftType", "TemplateSet", "generate_templates", "interval_label",
    "read_roster_csv", "roster_coverage", "roster_from_solution", "schedule", "write_roster_csv",
]
