"""acdsim's staffing planner: Erlang B/C/A maths, interval requirements, shrinkage, shift scheduling.

Pure, vectorised numpy/scipy functions (traffic in Erlangs, times in seconds); the shift scheduler is a
pyomo model solved with HiGHS; ``optimise_with_simulation`` verifies and corrects a schedule with ``sim``.

>>> from staffing import agents_for_target, StaffingTarget
>>> int(agents_for_target(100, 180, 1800, StaffingTarget(service_level=0.8, service_time_s=20))[()])
14
"""
from staffing.erlang_a import (erlang_a_abandon_probability, erlang_a_abandon_within, erlang_a_asa,
                               erlang_a_average_abandon_time, erlang_a_mean_wait, erlang_a_metrics,
                               erlang_a_offered_wait_exceeds, erlang_a_service_level, erlang_a_wait_probability,
                               erlang_a_wait_within)
from staffing.erlang_b import erlang_b, lines_for_blocking
from staffing.erlang_c import (erlang_c, erlang_c_asa, erlang_c_occupancy, erlang_c_queue_length,
                               erlang_c_service_level, erlang_c_wait_exceeds)
from staffing.requirements import (StaffingTarget, agents_for_target, agents_for_traffic, predicted_metrics,
                                   requirements_from_scenario, requirements_table, trunks_for_target)
from staffing.shrinkage import handover_shrinkage, heads_for_agents, total_shrinkage
from staffing.volumes import read_volumes_csv



def __getattr__(name: str):
    """Shift scheduling (pyomo) loads on first use: ``staffing.schedule``, ``staffing.optimise_with_simulation``."""
    if name in ("schedule", "optimise_with_simulation", "ShiftRules", "VerifiedSchedule", "ScheduleResult",
                "InfeasibleScheduleError"):
        import staffing.shifts

        return getattr(staffing.shifts, name)
    if name == "forecast_volumes":  # staffing.forecast (statsmodels, holidays) also loads on first use
        import staffing.forecast

        return staffing.forecast.forecast_volumes
    raise AttributeError(f"module 'staffing' has no attribute {name!r}")


__all__ = [
    "StaffingTarget", "agents_for_target", "agents_for_traffic", "erlang_a_abandon_probability",
    "erlang_a_abandon_within", "erlang_a_asa", "erlang_a_average_abandon_time", "erlang_a_mean_wait",
    "erlang_a_metrics", "erlang_a_offered_wait_exceeds", "erlang_a_service_level", "erlang_a_wait_probability",
    "erlang_a_wait_within", "erlang_b", "erlang_c", "erlang_c_asa", "erlang_c_occupancy", "erlang_c_queue_length",
    "erlang_c_service_level", "erlang_c_wait_exceeds", "handover_shrinkage", "heads_for_agents",
    "lines_for_blocking", "predicted_metrics", "read_volumes_csv", "requirements_from_scenario",
    "requirements_table", "total_shrinkage", "trunks_for_target", "schedule", "optimise_with_simulation",
    "ShiftRules", "VerifiedSchedule", "ScheduleResult", "InfeasibleScheduleError", "forecast_volumes",
]
