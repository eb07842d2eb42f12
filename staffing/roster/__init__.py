"""Per-person rotas: named agents (agents file) assigned to a shift plan's shifts over one or more weeks.

Public API::

    from staffing.roster import read_staff, make_rota
    staff = read_staff("scenarios/property_centre_staff.toml")
    rota = make_rota(plan.roster, plan.n_days, staff, start_date=date(2026, 3, 2), weeks=2, shift_rules=rules)
    rota_frame(rota)            # rota.csv rows; weekly_sheet(rota) the agents x days grid
    coverage_after(rota, requirement, interval_s)   # requirement vs planned vs rota coverage, lost where

Modules: ``staff`` (agents file), ``jobs`` (plan on dates), ``model`` (assignment ILP), ``fairness``,
``explain`` (infeasibility), ``solve`` (entry point), ``outputs`` (tables, HTML), ``picture`` (rota chart).
"""
import importlib

_WHERE = {
    "StaffFile": "staff", "StaffMember": "staff", "RotaRules": "staff", "read_staff": "staff",
    "staff_from_dict": "staff", "plan_jobs": "jobs", "make_rota": "solve", "Rota": "solve",
    "RotaInfeasibleError": "explain", "rota_frame": "outputs", "weekly_sheet": "outputs",
    "coverage_after": "outputs", "write_rota": "outputs", "rota_picture": "picture",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    """Load on first use (pyomo only when solving)."""
    if name in _WHERE:
        return getattr(importlib.import_module(f"staffing.roster.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'staffing.roster' has no attribute {name!r}")
