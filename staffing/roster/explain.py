"""Why a rota cannot be made: counting pre-checks and the non-zero slacks of the elastic model.

Both name the person, the days and the rule in conflict, e.g.::

    Bo (week 2026-03-02..2026-03-08): contract days_per_week=5 but available for a shift on only 3 days
    (unavailable: 2026-03-03; 2026-03-04; 2026-03-05) — rule: days per week

:class:`RotaInfeasibleError` (a ValueError) carries the list of :class:`Conflict` items.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from staffing.roster.jobs import JobSet
from staffing.roster.model import SlackInfo, eligible
from staffing.roster.staff import StaffMember

RULE_NAMES = {
    "min_hours": "contract hours (minimum)", "max_hours": "contract hours (maximum)",
    "days_short": "days per week", "days_over": "days per week", "rest": "minimum rest",
    "consecutive": "maximum consecutive working days", "days_off_block": "days off in one block",
    "fixed": "fixed assignment", "skill": "skills", "availability": "days per week",
}


@dataclass
class Conflict:
    person: str
    days: str
    rule: str
    message: str


class RotaInfeasibleError(ValueError):
    """No rota satisfies every person's rules; ``conflicts`` names people, days and rules."""

    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        lines = [f"  {c.message}" for c in conflicts[:40]]
        more = [f"  ... and {len(conflicts) - 40} more"] if len(conflicts) > 40 else []
        super().__init__("no rota satisfies these rules:\n" + "\n".join(lines + more))


def _span(js: JobSet, a: int, b: int) -> str:
    return js.date(a).isoformat() if a == b else f"{js.date(a).isoformat()}..{js.date(b).isoformat()}"


def _context(person: StaffMember) -> str:
    bits = []
    if person.unavailable:
        bits.append("unavailable: " + "; ".join(person.unavailable))
    if person.fixed:
        bits.append("fixed: " + "; ".join(person.fixed))
    return f" ({', '.join(bits)})" if bits else ""


def precheck(js: JobSet, staff: list[StaffMember]) -> None:
    """Counting checks that need no solver; raise RotaInfeasibleError when one fails."""
    out: list[Conflict] = []
    roles = sorted({j.role for j in js.jobs})
    for role in roles:
        if not any(role in p.skills for p in staff):
            n = sum(j.role == role for j in js.jobs)
            out.append(Conflict("(nobody)", _span(js, 0, js.n_days - 1), "skills",
                                f"the plan has {n} '{role}' shift(s) but no person has the skill '{role}' "
                                "— rule: skills"))
    days_with_job: dict[int, set[int]] = defaultdict(set)
    for j in js.jobs:
        for p, person in enumerate(staff):
            if eligible(person, j, js):
                days_with_job[p].add(j.day)
    for p, person in enumerate(staff):
        for w in range(js.n_days // 7):
            days = set(range(7 * w, 7 * w + 7))
            can = days & days_with_job[p]
            if len(can) < person.days_range[0]:
                out.append(Conflict(person.name, _span(js, 7 * w, 7 * w + 6), "days per week",
                                    f"{person.name} (week {_span(js, 7 * w, 7 * w + 6)}): contract needs at least "
                                    f"{person.days_range[0]} working days but a shift of their skills/shift types fits on only "
                                    f"{len(can)} day(s){_context(person)} — rule: days per week"))
    if out:
        raise RotaInfeasibleError(out)


def explain_slacks(values: list[float], info: list[SlackInfo], js: JobSet,
                   staff: list[StaffMember]) -> list[Conflict]:
    """One Conflict per non-zero slack (merged per person, rule and days)."""
    out: list[Conflict] = []
    for v, s in zip(values, info):
        if v is None or v < 1e-6:
            continue
        person = staff[s.person]
        a, b = s.days
        days = _span(js, a, b) if s.rule != "consecutive" else f"{js.date(a).isoformat()}..{js.date(b).isoformat()}"
        what = {
            "min_hours": f"contract minimum {s.detail} per week not reachable (short by {v:.2f} h)",
            "max_hours": f"contract maximum {s.detail} per week exceeded by {v:.2f} h",
            "days_short": f"works {v:g} day(s) fewer than the contract's minimum {s.detail}",
            "days_over": f"works {v:g} day(s) more than the contract's maximum {s.detail}",
            "rest": f"two shifts closer than the {s.detail}",
            "consecutive": f"works more days in a row than allowed ({s.detail})",
            "days_off_block": f"the days off cannot form one block ({s.detail})",
            "fixed": f"fixed assignment {s.detail!r} cannot be honoured",
        }[s.rule]
        out.append(Conflict(person.name, days, RULE_NAMES[s.rule],
                            f"{person.name} ({days}): {what}{_context(person)} — rule: {RULE_NAMES[s.rule]}"))
    return out


def why_lost(js: JobSet, staff: list[StaffMember], assignment: dict[int, int], j: int,
             rest_hours: float, max_consecutive: int) -> str:
    """Why nobody took job ``j`` in this assignment: per eligible person the rule their rota would break."""
    job = js.jobs[j]
    start, end, _ = job.clock()
    head = f"{js.day_label(job.day)} {job.template} {start}-{end}"
    reasons = []
    for p, person in enumerate(staff):
        if not eligible(person, job, js):
            continue
        mine = [js.jobs[k] for k, q in assignment.items() if q == p]
        rest = person.min_rest_hours if person.min_rest_hours is not None else rest_hours
        pairs = set(js.rest_conflicts(rest))
        week = [k for k in mine if k.week == job.week]
        if any(k.day == job.day for k in mine):
            why = "already works that day"
        elif any((k.idx, j) in pairs or (j, k.idx) in pairs for k in mine):
            k = next(k for k in mine if (k.idx, j) in pairs or (j, k.idx) in pairs)
            why = f"rest: works {js.day_label(k.day)} {k.template} {'-'.join(k.clock()[:2])} ({rest:g} h rule)"
        elif len(week) >= person.days_range[1]:
            why = f"days per week: already {len(week)} (max {person.days_range[1]})"
        elif sum(k.paid_hours for k in week) + job.paid_hours > person.max_hours + 1e-9:
            why = f"contract hours: {sum(k.paid_hours for k in week):g} h + {job.paid_hours:g} h > {person.max_hours:g} h"
        else:
            worked = {k.day for k in mine}
            k_max = person.max_consecutive_days or max_consecutive
            run, d = 1, job.day - 1
            while d in worked:
                run, d = run + 1, d - 1
            d = job.day + 1
            while d in worked:
                run, d = run + 1, d + 1
            why = f"more than {k_max} days in a row" if run > k_max else "days-off block / fairness trade-off"
        reasons.append(f"{person.name}: {why}")
    if not reasons:
        reasons = [f"nobody with skill '{job.role}' is available then"]
    return f"{head}: " + "; ".join(reasons)
