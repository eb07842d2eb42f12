"""Benchmark: weekly shift scheduling, 672 intervals of 15 min, > 1 000 templates with break placement and
5-on/2-off days off, solved with HiGHS through pyomo.

Target (issue 4): proven optimal or gap <= 0.5 % within 60 s on the 2-core machine.
Instances: the customer's rules on a 15-min grid (main), and a harder two-break variant (3x the templates).
Baseline measured in the same run: the main instance with HiGHS's default settings (presolve on), integer
breaks and no warm start; the ratio printed is baseline time / our time (> 1: our settings are faster). "Ours"
is schedule()'s defaults (for models this large: warm_start="lns", continuous breaks in the search).

Synthetic week (issue 13): 672 x 15-min slots, 4/6/8 h shifts starting every 15 min around the clock with one
break window each (~13 000 integer variables), no days-off rule. Printed for each break formulation side by
side (``--synthetic``; target: gap <= 0.5 % within 30 s on 2 cores):
  aykin       one integer variable per (shift column, break option)   -- the previous default
  aykin+warm  the same, started from the rounded/repaired LP solution -- staffing/shifts/warmstart.py
  aykin+lns   the same, started from an LP dive + fix-and-optimise windows (half the time) -- shifts/lns.py
  aykin+rb    break variables continuous in the search, made integer at the end -- shifts/relaxed_breaks.py
              (suffixes combine: aykin+lns+rb = schedule()'s default for models > 4 000 integer variables)
  bj          Bechtold-Jacobs break-start variables per break class   -- staffing/shifts/breaks_bj.py

Measured 2026-11-25 on the shared 2-core machine (load average 9-15, so 4-40 s of CPU per run): the LP bound
(67 658, the same for aykin and bj) is what HiGHS proves; the gap is the incumbent's. Best roster known 67 854
(0.29 % above the bound, aykin+rb after ~190 s CPU). 120-s limit: aykin 9.4 %, aykin+lns 2.1 %, aykin+rb 1.2 %,
aykin+lns+rb 1.1 %; the 30-s table is in the README ("Shift solver on the synthetic week"). The 0.5 %-in-30-s
goal is not met on this machine. aykin+lns+rb is now schedule()'s default for large models.

    python benchmarks/bench_shifts.py [--time-limit 60] [--no-baseline] [--no-hard]
    python benchmarks/bench_shifts.py --synthetic [--time-limit 30] [--formulations aykin,aykin+warm,bj]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # run as a script from any directory

from staffing.shifts import BreakRule, ShiftRules, ShiftType, schedule  # noqa: E402

TARGET_S = 60.0
TARGET_GAP = 0.005
SYNTH_TARGET_S = 30.0


def weekly_requirement() -> np.ndarray:
    """Agents on the phones per 15-min interval for a week (Mon..Sun): two daily peaks, lower weekend."""
    t = np.arange(96) / 4.0
    day = 2 + 30 * np.exp(-((t - 10.5) / 2.2) ** 2) + 22 * np.exp(-((t - 15.5) / 2.5) ** 2) \
        + 5 * np.exp(-((t - 20.0) / 2.0) ** 2)
    day[(t < 7) | (t >= 23)] = 1
    return np.maximum(np.concatenate([np.round(day * f) for f in (1.1, 1.0, 0.95, 0.95, 1.0, 0.6, 0.5)]), 1)


def customer_rules_15min() -> ShiftRules:
    """The customer's rules (defaults) on a 15-min start grid: full-time 8 h + unpaid 30/60-min lunch placed
    3-5 h in, part-time 4 h, night duty, noon duty, 15-min hand-over, 5-on/2-off."""
    return ShiftRules(start_granularity_minutes=15)


def two_break_rules() -> ShiftRules:
    """Harder variant: adds a full-time type with a paid 15-min break and a 30-min lunch, and a paid 15-min
    break for part-timers (three times the templates)."""
    base = customer_rules_15min()
    ft, pt, night = base.shift_types
    ft_b = ShiftType(name="full_time_b", length_minutes=480, earliest_start="07:00", latest_start="14:00",
                     hourly_cost=40.0, breaks=[
                         BreakRule(name="break", minutes=[15], paid=True, window_start_minutes=90,
                                   window_end_minutes=150),
                         BreakRule(name="lunch", minutes=[30], window_start_minutes=210, window_end_minutes=300)])
    pt_b = ShiftType.model_validate(pt.model_dump() | {"breaks": [
        dict(name="break", minutes=[15], paid=True, window_start_minutes=90, window_end_minutes=150)]})
    return base.model_copy(update={"shift_types": [ft, ft_b, pt_b, night]})


def synthetic_rules() -> ShiftRules:
    """4, 6 and 8 h shifts starting every 15 min (00:00-23:45), one break window each, no duty windows or days
    off: 2 016 shift columns and 11 424 break options on a week."""
    types = [
        ShiftType(name="h4", length_minutes=240, hourly_cost=42.0, breaks=[BreakRule(
            name="break", minutes=[15], paid=True, window_start_minutes=90, window_end_minutes=150)]),
        ShiftType(name="h6", length_minutes=360, hourly_cost=41.0, breaks=[BreakRule(
            name="break", minutes=[30], window_start_minutes=120, window_end_minutes=180)]),
        ShiftType(name="h8", length_minutes=480, hourly_cost=40.0, breaks=[BreakRule(
            name="lunch", minutes=[30], window_start_minutes=180, window_end_minutes=270)]),
    ]
    return ShiftRules(start_granularity_minutes=15, handover_minutes=0, shift_types=types, duty_windows=[],
                      min_on_duty=0, days_off=None)


def run(rules: ShiftRules, time_limit: float, highs_options: dict | None = None, breaks: str = "aykin",
        threads: int | None = None, warm_start: bool | str | None = None, integer_breaks_in_search: bool | None = None):
    t0 = time.perf_counter()
    res = schedule(weekly_requirement(), 900, rules, time_limit_s=time_limit, mip_rel_gap=TARGET_GAP,
                   highs_options=highs_options, breaks=breaks, threads=threads, warm_start=warm_start,
                   integer_breaks_in_search=integer_breaks_in_search)
    return res, time.perf_counter() - t0


def synthetic(time_limit: float, formulations: list[str]) -> None:
    """The synthetic week with each break formulation, side by side (same requirement, same time limit)."""
    for name in formulations:
        try:
            breaks, *extra = name.split("+")
            warm = "lns" if "lns" in extra else "warm" in extra
            c0 = time.process_time()
            res, wall = run(synthetic_rules(), time_limit, breaks=breaks, threads=2, warm_start=warm,
                            integer_breaks_in_search="rb" not in extra)
            cpu_s = time.process_time() - c0
        except Exception as err:     # e.g. no feasible roster within the limit: report it, go on
            print(f"[synthetic week, {name}] no result: {err}")
            continue
        s = res.size
        ok = res.gap <= TARGET_GAP + 1e-9 and res.solve_time_s <= SYNTH_TARGET_S
        cpu = f"  (CPU {cpu_s:.1f} s of this run; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        print(f"[synthetic week, {name}] {s['integer_variables']} integer variables, "
              f"{s['constraints']} constraints; status={res.status}  cost={res.cost:,.2f}  bound={res.bound:,.2f}  "
              f"gap={100 * res.gap:.3f} %  solve={res.solve_time_s:.2f} s  total={wall:.2f} s  "
              f"target (<= 0.5 % in {SYNTH_TARGET_S:g} s): {'MET' if ok else 'MISSED'}{cpu}")


def report(name: str, res, wall: float) -> bool:
    s = res.size
    print(f"[{name}] {s['slots']} slots of {s['slot_minutes']:g} min, {res.n_days} days, "
          f"{s['templates']} explicit templates ({s['templates'] // res.n_days} per day) = {s['shift_columns']} "
          f"shift columns x break placements")
    print(f"  model: {s['integer_variables']} integer variables ({s['break_options']} break options), "
          f"{s['constraints']} constraints, {s['nonzeros']} nonzeros")
    print(f"  status={res.status}  cost={res.cost:,.2f}  bound={res.bound:,.2f}  gap={100 * res.gap:.3f} %  "
          f"solve={res.solve_time_s:.2f} s  build={res.build_time_s:.2f} s  total={wall:.2f} s")
    print(f"  {int(res.roster['count'].sum())} shifts; under-coverage {res.coverage['under'].sum():g} "
          f"agent-intervals; over-coverage {res.coverage['over'].sum():g}")
    ok = res.solve_time_s <= TARGET_S and res.gap <= TARGET_GAP + 1e-9
    print(f"  target (gap <= {100 * TARGET_GAP:g} % within {TARGET_S:g} s): {'MET' if ok else 'MISSED'}")
    return ok


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=TARGET_S)
    ap.add_argument("--no-baseline", action="store_true", help="skip the HiGHS-defaults baseline run")
    ap.add_argument("--no-hard", action="store_true", help="skip the two-break variant")
    ap.add_argument("--synthetic", action="store_true", help="only the synthetic week (issue 13), per formulation")
    ap.add_argument("--formulations", default="aykin,aykin+warm,aykin+lns,aykin+rb,aykin+lns+rb,bj",
                    help="--synthetic: comma-separated break formulations")
    args = ap.parse_args()
    if args.synthetic:
        synthetic(args.time_limit, args.formulations.split(","))
        return
    res, wall = run(customer_rules_15min(), args.time_limit)
    report("customer rules, 15-min grid", res, wall)
    if not args.no_baseline:
        base, bwall = run(customer_rules_15min(), args.time_limit, {"presolve": "on"}, warm_start=False,
                          integer_breaks_in_search=True)
        print(f"  baseline (HiGHS defaults, presolve on): status={base.status}  gap={100 * base.gap:.3f} %  "
              f"solve={base.solve_time_s:.2f} s")
        print(f"  ratio baseline/ours solve time: {base.solve_time_s / res.solve_time_s:.2f}x")
    if not args.no_hard:
        hard, hwall = run(two_break_rules(), args.time_limit)
        report("two-break variant", hard, hwall)


if __name__ == "__main__":
    main()
