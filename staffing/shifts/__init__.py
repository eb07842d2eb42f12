"""Shift scheduling: templates from rules, a pyomo integer model solved by HiGHS, rosters and verification.

Public API::

    from staffing.shifts import ShiftRules, schedule
    result = schedule(requirement, interval_s=1800, rules=ShiftRules())   # -> ScheduleResult
    result.roster        # DataFrame in the simulator's roster format (api_contract.md)
    result.coverage      # per interval: required, on_phone_min/mean, on_site_mean, under, over

    from staffing.shifts import optimise_with_simulation
    verified = optimise_with_simulation(scenario, run_fn=sim.run)       # -> VerifiedSchedule
"""
import importlib

_WHERE = {
    "ROSTER_COLUMNS": "roster", "read_roster_csv": "roster", "roster_coverage": "roster",
    "roster_from_solution": "roster", "write_roster_csv": "roster", "BreakRule": "rules", "DaysOffRule": "rules",
    "DutyWindow": "rules", "ShiftRules": "rules", "ShiftType": "rules", "InfeasibleScheduleError": "solve",
    "ScheduleResult": "solve", "ScheduleSolveError": "solve", "interval_label": "solve", "schedule": "solve",
    "TemplateSet": "templates", "generate_templates": "templates", "VerifiedSchedule": "verify",
    "optimise_with_simulation": "verify",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    """Load on first use: the scenario schema needs ``ShiftRules`` without importing pyomo."""
    if name in _WHERE:
        return getattr(importlib.import_module(f"staffing.shifts.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'staffing.shifts' has no attribute {name!r}")
