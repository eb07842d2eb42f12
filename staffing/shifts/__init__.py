"""Shift scheduling: templates from rules, a pyomo integer model solved by HiGHS, rosters and verification.

Public API::

    from staffing.shifts import ShiftRules, schedule
    result = schedule(requirement, interval_s=1800, rules=ShiftRules())   # -> ScheduleResult
    result.roster        # DataFrame in the simulator's roster format (api_contract.md)
    result.coverage      # per interval: required, on_phone_min/mean, on_site_mean, under, over

    from staffing.shifts import optimise_with_simulation
    verified = optimise_with_simulation(scenario, run_fn=sim.run)       # -> VerifiedSchedule
"""
from staffing.shifts.roster import (ROSTER_COLUMNS, read_roster_csv, roster_coverage, roster_from_solution,
                                    write_roster_csv)
from staffing.shifts.rules import BreakRule, DaysOffRule, DutyWindow, ShiftRules, ShiftType
from staffing.shifts.solve import (InfeasibleScheduleError, ScheduleResult, ScheduleSolveError, cap_requirement,
                                   interval_label, schedule)
from staffing.shifts.templates import TemplateSet, generate_templates
from staffing.shifts.verify import VerifiedSchedule, erlang_requirement, optimise_with_simulation

__all__ = [
    "BreakRule", "DaysOffRule", "DutyWindow", "InfeasibleScheduleError", "ROSTER_COLUMNS", "ScheduleResult",
    "ScheduleSolveError", "ShiftRules", "ShiftType", "TemplateSet", "generate_templates", "interval_label",
    "read_roster_csv", "roster_coverage", "roster_from_solution", "schedule", "write_roster_csv",
    "VerifiedSchedule", "cap_requirement", "erlang_requirement", "optimise_with_simulation",
]
