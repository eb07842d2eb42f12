"""The agents file: named people with contracts, skills, availability, preferences and fixed assignments.

An agents file is a CSV (one row per person, list fields joined by ";") or a TOML file with a ``[[staff]]``
list (an optional ``[rota]`` table holds the :class:`RotaRules`). Fields of one person:

* ``name`` (unique), ``contract`` ("full" | "part"), ``min_hours`` / ``max_hours`` per week (paid hours incl.
  the hand-over), ``days_per_week`` (exact number of working days in each week, default 5) or a range
  ``min_days_per_week`` / ``max_days_per_week``,
* ``skills``: roles the person may work — "agent" (answers calls on day shifts) and/or "night_duty" (the
  maintenance technician's night duty, frontdesk.md); default ["agent"],
* ``shift_types``: shift-type names the person may work (empty: any type of their roles),
* ``unavailable``: "YYYY-MM-DD" (whole day), "YYYY-MM-DD HH:MM-HH:MM" (times that day) or a weekday name
  ("sat": every such day),
* ``preferred_days_off``: weekday names or dates (soft: honoured where the cost allows),
* ``fixed``: "YYYY-MM-DD TEMPLATE" or "YYYY-MM-DD HH:MM" — the person must work that shift of the plan,
* ``max_consecutive_days`` / ``min_rest_hours`` override the rota rules for this person.

Durations here are hours (field names say so); dates are ISO dates.
"""
from __future__ import annotations

import csv
import datetime as dt
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from staffing.timeofday import clock_minutes

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LIST_FIELDS = ("skills", "shift_types", "unavailable", "preferred_days_off", "fixed")


def weekday_of(name: str) -> int | None:
    """'Saturday' / 'sat' -> 5; None if ``name`` is not a weekday name."""
    key = str(name).strip().lower()[:3]
    return WEEKDAYS.index(key) if key in WEEKDAYS and str(name).strip().isalpha() else None


def parse_unavailable(text: str) -> tuple[str, object, int, int]:
    """One ``unavailable`` entry -> (kind, date or weekday, from minute, to minute) with kind 'date'|'weekday'.

    The time range is minutes after midnight of that day; a whole day is (0, 1440)."""
    text = str(text).strip()
    wd = weekday_of(text)
    if wd is not None:
        return "weekday", wd, 0, 1440
    day, _, times = text.partition(" ")
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise ValueError(f"unavailable entry {text!r}: use 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM-HH:MM' or a weekday "
                         "name") from None
    if not times.strip():
        return "date", date, 0, 1440
    a, sep, b = times.strip().partition("-")
    if not sep:
        raise ValueError(f"unavailable entry {text!r}: time range must be 'HH:MM-HH:MM'")
    lo, hi = clock_minutes(a), clock_minutes(b)
    if hi <= lo:
        raise ValueError(f"unavailable entry {text!r}: end {b} must be after start {a} (same day)")
    return "date", date, lo, hi


def parse_fixed(text: str) -> tuple[dt.date, str]:
    """'2026-03-02 night_duty' or '2026-03-02 08:30' -> (date, template name or start 'HH:MM')."""
    day, _, what = str(text).strip().partition(" ")
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise ValueError(f"fixed entry {text!r}: use 'YYYY-MM-DD TEMPLATE' or 'YYYY-MM-DD HH:MM'") from None
    if not what.strip():
        raise ValueError(f"fixed entry {text!r}: name the shift (template name or start 'HH:MM') after the date")
    return date, what.strip()


class StaffMember(BaseModel):
    """One named person (see module docstring for the fields)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    contract: Literal["full", "part"] = "full"
    min_hours: float = Field(default=0.0, ge=0, le=168, description="paid hours per week, at least (0..168)")
    max_hours: float = Field(default=48.0, ge=0, le=168, description="paid hours per week, at most (0..168)")
    days_per_week: int | None = Field(default=None, ge=0, le=7,
                                      description="working days in each week, exactly (0..7; default 5)")
    min_days_per_week: int | None = Field(default=None, ge=0, le=7, description="working days per week, at least")
    max_days_per_week: int | None = Field(default=None, ge=0, le=7, description="working days per week, at most")
    skills: list[Literal["agent", "night_duty"]] = Field(default_factory=lambda: ["agent"], min_length=1)
    shift_types: list[str] = Field(default_factory=list)
    unavailable: list[str] = Field(default_factory=list)
    preferred_days_off: list[str] = Field(default_factory=list)
    fixed: list[str] = Field(default_factory=list)
    max_consecutive_days: int | None = Field(default=None, ge=1, le=27)
    min_rest_hours: float | None = Field(default=None, ge=0, le=48)

    @field_validator("unavailable")
    @classmethod
    def _unavailable(cls, v):
        for item in v:
            parse_unavailable(item)
        return v

    @field_validator("preferred_days_off")
    @classmethod
    def _prefs(cls, v):
        for item in v:
            if weekday_of(item) is None:
                try:
                    dt.date.fromisoformat(str(item).strip())
                except ValueError:
                    raise ValueError(f"preferred_days_off entry {item!r}: use a weekday name or 'YYYY-MM-DD'") \
                        from None
        return v

    @field_validator("fixed")
    @classmethod
    def _fixed(cls, v):
        for item in v:
            parse_fixed(item)
        return v

    @model_validator(mode="after")
    def _hours(self):
        if self.min_hours > self.max_hours:
            raise ValueError(f"min_hours ({self.min_hours}) must be <= max_hours ({self.max_hours})")
        if self.days_per_week is not None:
            if {self.min_days_per_week, self.max_days_per_week} - {None, self.days_per_week}:
                raise ValueError("give days_per_week (exact) or min/max_days_per_week (a range), not both")
        if self.days_per_week is None and self.min_days_per_week is None and self.max_days_per_week is None:
            self.days_per_week = 5
        lo, hi = self.days_range
        if lo > hi:
            raise ValueError(f"min_days_per_week ({lo}) must be <= max_days_per_week ({hi})")
        return self

    @property
    def days_range(self) -> tuple[int, int]:
        """(least, most) working days in each week."""
        if self.days_per_week is not None:
            return self.days_per_week, self.days_per_week
        return self.min_days_per_week or 0, 7 if self.max_days_per_week is None else self.max_days_per_week

    def unavailable_minutes(self, date: dt.date) -> list[tuple[int, int]]:
        """Unavailable [from, to) minute ranges on ``date`` (minutes after its midnight)."""
        out = []
        for item in self.unavailable:
            kind, when, lo, hi = parse_unavailable(item)
            if (kind == "weekday" and date.weekday() == when) or (kind == "date" and date == when):
                out.append((lo, hi))
        return out

    def prefers_off(self, date: dt.date) -> bool:
        for item in self.preferred_days_off:
            wd = weekday_of(item)
            if (wd is not None and date.weekday() == wd) or (wd is None and dt.date.fromisoformat(item) == date):
                return True
        return False


class RotaRules(BaseModel):
    """Rules that apply to everyone unless a person overrides them. Hours and weights are plain numbers."""

    model_config = ConfigDict(extra="forbid")

    min_rest_hours: float = Field(default=11.0, ge=0, le=48, description="rest between two shifts incl. the "
                                                                        "hand-over, hours (0..48)")
    max_consecutive_days: int = Field(default=6, ge=1, le=27, description="working days in a row, at most")
    consecutive_days_off: bool = Field(default=True, description="a person's weekly days off form one block "
                                                                 "(Sun+Mon counts as a block in the weekly cycle)")
    fairness_weight: float = Field(default=50.0, ge=0, description="cost per unit of spread (max - min count) "
                                                                   "of weekend, noon and night duties")
    preference_weight: float = Field(default=10.0, ge=0, description="cost per worked preferred day off")
    allow_lost: bool = Field(default=True, description="shifts nobody can take stay unassigned and are "
                                                       "reported as lost coverage; false: that is infeasible")
    time_limit_s: float = Field(default=30.0, gt=0, le=3600, description="solver time limit, seconds")


class StaffFile(BaseModel):
    """The whole agents file: people and the rota rules."""

    model_config = ConfigDict(extra="forbid")

    staff: list[StaffMember] = Field(min_length=1)
    rota: RotaRules = Field(default_factory=RotaRules)

    @model_validator(mode="after")
    def _unique(self):
        names = [p.name for p in self.staff]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"staff names must be unique; repeated: {dup}")
        return self


def _csv_rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "name" not in reader.fieldnames:
            raise ValueError(f"{path}: the first row must be a header with at least a 'name' column")
        rows = []
        for row in reader:
            item = {}
            for k, v in row.items():
                v = (v or "").strip()
                if k is None or v == "":
                    continue
                item[k.strip()] = [s.strip() for s in v.split(";") if s.strip()] if k.strip() in LIST_FIELDS else v
            rows.append(item)
    return rows


def read_staff(path: str | Path) -> StaffFile:
    """Read and validate an agents file (.csv or .toml); ValueError naming the person and field on bad input."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"agents file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        data = {"staff": _csv_rows(path)}
    elif suffix == ".toml":
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"{path}: not valid TOML: {err}") from None
    else:
        raise ValueError(f"agents file {path}: use a .csv or .toml file")
    return staff_from_dict(data, str(path))


def staff_from_dict(data: dict, source: str = "<dict>") -> StaffFile:
    """Validate a ``{"staff": [...], "rota": {...}}`` mapping; errors name the person and the field."""
    try:
        return StaffFile.model_validate(data)
    except ValidationError as err:
        msgs = []
        for e in err.errors():
            loc = list(e["loc"])
            if len(loc) >= 2 and loc[0] == "staff" and isinstance(loc[1], int):
                people = data.get("staff", [])
                who = people[loc[1]].get("name", f"#{loc[1] + 1}") if loc[1] < len(people) else loc[1]
                loc = [f"staff '{who}'"] + [str(x) for x in loc[2:]]
            msgs.append(f"{'.'.join(str(x) for x in loc)}: {e['msg']}")
        raise ValueError(f"{source}: " + "; ".join(msgs)) from None


def headcount_caps(rules, staff: StaffFile):
    """ShiftRules whose shift types are capped at the number of people of the agents file who can work them
    (skill = the type's role; ``shift_types`` empty or naming the type), so the plan fits the team."""
    types = []
    for t in rules.shift_types:
        n = sum(1 for p in staff.staff if t.role in p.skills and (not p.shift_types or t.name in p.shift_types))
        cap = n if t.max_headcount is None else min(n, t.max_headcount)
        types.append(t.model_copy(update={"max_headcount": cap}))
    return rules.model_copy(update={"shift_types": types})
