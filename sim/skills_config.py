"""Scenario section ``[routing]``: agent groups with skills, and where each call type goes (skills-based routing).

A planner writes it like this (times in seconds)::

    [routing.groups.front_desk]                 # generalists
    skills = { inquiry = 1, repair = 1, fee = 1, complaint = 2 }
    [routing.groups.senior]
    skills = { complaint = 1, repair = 2 }
    headcount = 1                               # optional: on duty around the clock, besides shifts

    [routing.call_types]                        # target groups in order, each after an overflow delay
    complaint = [{ group = "senior" }, { group = "front_desk", after_s = 30 }]

- ``skills``: call type -> skill level 1..9 (1 = best). The level is the group's *proficiency/priority*: an agent
  who frees up takes the waiting call of the type it is best at, then of the higher call-type ``priority``,
  then the call waiting longest. A call type's talk, hold and ACW do not depend on the group.
- ``routing.call_types.<type>``: the target groups in order with ``after_s`` (overflow delay, default 0 s): the
  call may be answered by a group from ``after_s`` seconds after it joined the queue. A type not listed goes
  to every group with its skill at once, best skill level first (ties: the order of ``routing.groups``).
- Within a group the longest-idle agent answers.
- Agents: each ``[[agents.shifts]]`` entry names its ``group``, a ``rota`` CSV may have a ``group`` column (one
  group per person); ``headcount`` / ``headcount_per_interval`` agents, shifts and people without a group belong
  to ``routing.default_group``. A group's own ``headcount``
  adds agents on duty the whole horizon.

Without a ``[routing]`` section the model has one agent pool, exactly as before.
"""
from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, model_validator

from sim.config import Section

MAX_DELAY_S = 86400.0


class RouteStep(Section):
    """One target of a call type's route: a group, eligible ``after_s`` seconds after the call queued."""

    group: str = Field(description="name of a group in routing.groups")
    after_s: float = Field(default=0.0, ge=0, le=MAX_DELAY_S,
                           description="overflow delay: seconds in the queue before this group may answer (0..86400)")


class SkillGroup(Section):
    """Agents who share skills: call type -> skill level (1 = best .. 9)."""

    skills: dict[str, int] = Field(min_length=1, description="call type -> skill level 1 (best) .. 9")
    headcount: int = Field(default=0, ge=0, le=200000,
                           description="agents of this group on duty the whole horizon, besides shifts (0..200000)")

    @model_validator(mode="after")
    def _levels(self):
        bad = {t: v for t, v in self.skills.items() if not 1 <= v <= 9}
        if bad:
            raise ValueError(f"skills: levels must be 1 (best) .. 9, got {bad}")
        return self


class Routing(Section):
    """Agent groups and the route of each call type (see the module docstring)."""

    groups: dict[str, SkillGroup] = Field(min_length=1, description="group name -> skills (and headcount)")
    call_types: dict[str, list[RouteStep]] = Field(
        default_factory=dict, description="call type -> target groups in order with overflow delays")
    default_group: str | None = Field(default=None, description="group of agents that do not name one "
                                                                "(headcount, rota, shifts without group)")

    def check(self, type_names: list[str], agents) -> None:
        """Cross-checks against the call types and agents; ValueError naming the field on the first problem."""
        groups = list(self.groups)
        types = set(type_names)
        for g, spec in self.groups.items():
            for t in spec.skills:
                if t not in types:
                    raise ValueError(f"routing.groups.{g}.skills: unknown call type '{t}' "
                                     f"(call types: {', '.join(type_names)})")
        for t, steps in self.call_types.items():
            where = f"routing.call_types.{t}"
            if t not in types:
                raise ValueError(f"{where}: unknown call type '{t}' (call types: {', '.join(type_names)})")
            if not steps:
                raise ValueError(f"{where}: give at least one target group")
            seen = set()
            for i, step in enumerate(steps):
                if step.group not in self.groups:
                    raise ValueError(f"{where}[{i}].group: unknown group '{step.group}' (groups: {', '.join(groups)})")
                if t not in self.groups[step.group].skills:
                    raise ValueError(f"{where}[{i}].group: group '{step.group}' has no skill for '{t}' "
                                     f"(add it to routing.groups.{step.group}.skills)")
                if step.group in seen:
                    raise ValueError(f"{where}[{i}].group: group '{step.group}' is listed twice")
                seen.add(step.group)
                if i and step.after_s < steps[i - 1].after_s:
                    raise ValueError(f"{where}[{i}].after_s: overflow delays must not decrease along the route "
                                     f"({step.after_s:g} s after {steps[i - 1].after_s:g} s)")
        for t in type_names:
            if t not in self.call_types and not any(t in spec.skills for spec in self.groups.values()):
                raise ValueError(f"routing: call type '{t}' has no group (give a group in routing.groups a skill "
                                 f"for it)")
        if self.default_group is not None and self.default_group not in self.groups:
            raise ValueError(f"routing.default_group: unknown group '{self.default_group}' (groups: "
                             f"{', '.join(groups)})")
        for i, shift in enumerate(agents.shifts or []):
            if shift.group is not None and shift.group not in self.groups:
                raise ValueError(f"agents.shifts[{i}].group: unknown group '{shift.group}' (groups: "
                                 f"{', '.join(groups)})")
            if shift.group is None and self.default_group is None:
                raise ValueError(f"agents.shifts[{i}].group: shift '{shift.name}' names no group; give it a group "
                                 f"or set routing.default_group")
        others = bool(agents.headcount) or any(agents.headcount_per_interval or [])
        if others and self.default_group is None:   # a rota's people may name groups in a 'group' column
            source = "headcount" if agents.headcount else "headcount_per_interval"
            raise ValueError(f"routing.default_group: agents.{source} agents name no group; set "
                             f"routing.default_group (or use agents.headcount = 0 and routing.groups.<g>.headcount)")


@dataclass(frozen=True)
class RoutingPlan:
    """The routing the model runs, by index: ``groups`` (names), ``route[type]`` = ((group, after_s), …)
    sorted by delay, ``serves[group]`` = ((type, skill level, after_s), …): what a freed agent may take."""

    groups: tuple[str, ...]
    route: tuple[tuple[tuple[int, float], ...], ...]
    serves: tuple[tuple[tuple[int, int, float], ...], ...]
    default_group: int | None


def routing_plan(routing: Routing, type_names: list[str]) -> RoutingPlan:
    """Indices for the model: the explicit routes, else every skilled group at once, best level first."""
    groups = list(routing.groups)
    route = []
    for t in type_names:
        if t in routing.call_types:
            steps = [(groups.index(s.group), float(s.after_s)) for s in routing.call_types[t]]
        else:
            skilled = sorted((routing.groups[g].skills[t], k) for k, g in enumerate(groups)
                             if t in routing.groups[g].skills)
            steps = [(k, 0.0) for _, k in skilled]
        route.append(tuple(sorted(steps, key=lambda s: s[1])))
    serves = []
    for k, g in enumerate(groups):
        skills = routing.groups[g].skills
        serves.append(tuple((ti, skills[t], after) for ti, t in enumerate(type_names)
                            for gi, after in route[ti] if gi == k))
    default = groups.index(routing.default_group) if routing.default_group is not None else None
    return RoutingPlan(tuple(groups), tuple(route), tuple(serves), default)
