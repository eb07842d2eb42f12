"""Working-day deadline arithmetic across weekends, holidays, summer timetable and night duty.

Expected instants are computed by hand from the spec's calendar (office hours 08:30-17:30, weekend Sat/Sun,
day 0 = Monday), not from the code under test."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.desk.calendar import Calendar
from sim.desk.config import CalendarRules, DeadlineRule

H, D = 3600, 86400


def at(day, hh, mm=0):
    return day * D + hh * H + mm * 60


def test_one_working_day_across_weekend():
    cal = Calendar(CalendarRules(), start_weekday=0)
    # Friday (day 4) 16:00 + 1 working day (9 h): 1.5 h Friday + 7.5 h Monday -> Monday 16:00
    assert cal.add_working_days(at(4, 16), 1) == at(7, 16)
    # received Saturday: clock starts Monday 08:30 -> due Monday 17:30
    assert cal.add_working_days(at(5, 10), 1) == at(7, 17, 30)
    # before opening on Tuesday -> Tuesday 17:30; exactly at closing -> next day 17:30
    assert cal.add_working_days(at(1, 6), 1) == at(1, 17, 30)
    assert cal.add_working_days(at(1, 17, 30), 1) == at(2, 17, 30)


def test_holiday_is_skipped_and_start_weekday_shifts_weekend():
    cal = Calendar(CalendarRules(holidays=[7]), start_weekday=0)   # Monday of week 2 is a holiday
    assert cal.add_working_days(at(4, 16), 1) == at(8, 16)
    # day 0 = Saturday: days 0, 1 are the weekend, day 2 is Monday
    cal2 = Calendar(CalendarRules(), start_weekday=5)
    assert [cal2.is_working_day(d) for d in range(3)] == [False, False, True]
    assert cal2.add_working_days(at(0, 12), 1) == at(2, 17, 30)


def test_working_hours_and_calendar_units():
    cal = Calendar(CalendarRules(), start_weekday=0)
    assert cal.deadline(at(4, 16), DeadlineRule(amount=4, unit="working_hours")) == at(7, 11)
    assert cal.deadline(at(4, 16), DeadlineRule(amount=4, unit="hours")) == at(4, 20)
    assert cal.deadline(at(4, 16), DeadlineRule(amount=2, unit="days")) == at(6, 16)
    assert cal.deadline(at(2, 15), DeadlineRule(amount=0, unit="same_day")) == at(3, 0)
    assert cal.deadline(at(2, 23, 59), DeadlineRule(amount=1, unit="same_day")) == at(4, 0)


def test_duty_periods_winter_and_summer():
    cal = Calendar(CalendarRules(summer=[(10, 20)]), start_weekday=0)
    assert cal.desk_role(at(0, 8)) == "night"
    assert cal.desk_role(at(0, 9)) == "day"
    assert cal.desk_role(at(0, 12, 30)) == "noon"
    assert cal.desk_role(at(0, 13, 45)) == "day"        # winter noon duty ends 13:30
    assert cal.desk_role(at(10, 13, 45)) == "noon"      # summer noon duty until 14:00
    assert cal.desk_role(at(0, 17, 45)) == "night"      # winter night duty from 17:30
    assert cal.desk_role(at(10, 17, 45)) == "day"       # summer night duty from 18:00
    assert cal.desk_role(at(10, 18, 0)) == "night"
    assert cal.next_handover(at(0, 20)) == at(1, 8, 30)
    assert cal.next_handover(at(0, 7)) == at(0, 8, 30)
    assert cal.next_handover(at(0, 8, 30)) == at(0, 8, 30)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(t=st.floats(0, 60 * D), s=st.floats(0, 20 * 9 * H), hol=st.lists(st.integers(0, 80), max_size=8),
       wd=st.integers(0, 6))
def test_add_then_measure_working_time_roundtrip(t, s, hol, wd):
    cal = Calendar(CalendarRules(holidays=hol), start_weekday=wd)
    end = cal.add_working_seconds(t, s)
    assert end >= t
    assert cal.working_seconds_between(t, end) == pytest.approx(s, abs=1e-3)
    if s > 1e-3:   # a positive amount always ends inside working time (or exactly at a closing time)
        assert cal.is_working_time(end - 1e-6)


def test_bad_calendar_input_names_the_field():
    with pytest.raises(ValueError, match="work_start"):
        CalendarRules(work_start="18:00", work_end="17:00")
    with pytest.raises(ValueError, match="weekend"):
        CalendarRules(weekend=[0, 1, 2, 3, 4, 5, 6])
    with pytest.raises(ValueError, match="start_weekday"):
        Calendar(CalendarRules(), start_weekday=7)
