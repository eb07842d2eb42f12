"""Fairness: weekend, noon and night duties spread evenly over comparable people.

A *pool* is the people who could hold a duty and have comparable contracts: (duty, role, contract). For every
pool with at least two people the model gets ``hi`` and ``lo`` variables with ``lo <= count(person) <= hi``;
the objective pays ``fairness_weight * (hi - lo)`` (the spread). Counts are jobs over the whole rota horizon.
"""
from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pe

from staffing.roster.jobs import Job
from staffing.roster.staff import StaffMember

DUTIES = ("weekend", "noon", "night")


def has_duty(job: Job, duty: str) -> bool:
    return bool(getattr(job, duty))


def pools(staff: list[StaffMember]) -> dict[tuple[str, str, str], list[int]]:
    """(duty, role, contract) -> person indices; only pools of two or more people."""
    out: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for p, person in enumerate(staff):
        for role in person.skills:
            for duty in DUTIES:
                if duty == "noon" and role != "agent" or duty == "night" and role != "night_duty":
                    continue
                out[(duty, role, person.contract)].append(p)
    return {k: v for k, v in out.items() if len(v) > 1}


def add_fairness(m: pe.ConcreteModel, y: dict, jobs: list[Job], staff: list[StaffMember]) -> pe.Expression:
    """Add spread variables/constraints for every pool; return the total spread (to be weighted)."""
    keys = list(pools(staff))
    by_person: dict[int, list[int]] = defaultdict(list)
    for p, j in y:
        by_person[p].append(j)
    m.fair_hi = pe.Var(range(len(keys)), domain=pe.NonNegativeReals)
    m.fair_lo = pe.Var(range(len(keys)), domain=pe.NonNegativeReals)
    m.fair = pe.ConstraintList()
    for c, (duty, role, _contract) in enumerate(keys):
        for p in pools(staff)[keys[c]]:
            cnt = pe.quicksum(y[p, j] for j in by_person.get(p, ()) if jobs[j].role == role
                              and has_duty(jobs[j], duty))
            m.fair.add(cnt <= m.fair_hi[c])
            m.fair.add(cnt >= m.fair_lo[c])
    m.fair_keys = keys
    return pe.quicksum(m.fair_hi[c] - m.fair_lo[c] for c in range(len(keys)))


def duty_counts(assignment: dict[int, int], jobs: list[Job], staff: list[StaffMember]) -> dict[str, dict[str, int]]:
    """{person name: {duty: count}} for an assignment {job index: person index}."""
    out = {p.name: {d: 0 for d in DUTIES} for p in staff}
    for j, p in assignment.items():
        for d in DUTIES:
            out[staff[p].name][d] += int(has_duty(jobs[j], d))
    return out


def spreads(assignment: dict[int, int], jobs: list[Job], staff: list[StaffMember]) -> dict[str, int]:
    """'duty/role/contract' -> max - min count inside the pool (what the model minimises)."""
    out = {}
    for (duty, role, contract), people in pools(staff).items():
        counts = {p: 0 for p in people}
        for j, p in assignment.items():
            if p in counts and jobs[j].role == role and has_duty(jobs[j], duty):
                counts[p] += 1
        out[f"{duty}/{role}/{contract}"] = max(counts.values()) - min(counts.values())
    return out
