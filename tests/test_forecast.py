"""staffing.forecast on synthetic histories with a known truth (seeded Poisson counts).

Tolerances: a 30-min interval with ~50 expected calls has a Poisson sd of ~14 %; day totals of ~2 000 calls
have ~2 %; the forecast also estimates the level, weekly pattern and profile from ~10 weeks, so day totals are
checked to 6-8 % and interval WAPE against the *true mean* to 10 %.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_synth import WEEKDAY, sample, truth
from staffing import forecast_volumes
from staffing.forecast import SpecialDays, aggregate, to_history
from staffing.forecast.accuracy import _baselines, backtest


def _days(start, n):
    return pd.date_range(start, periods=n, freq="D")


@pytest.fixture(scope="module")
def trend_case():
    days = _days("2026-01-05", 84 + 7)  # 12 weeks of history + 1 week to forecast
    mean = truth(days, trend_per_day=0.004)
    hist_end = days[84]
    return sample(mean[mean.index < hist_end], seed=3), mean[mean.index >= hist_end]


def test_seasonality_trend_closed_nights_no_negatives(trend_case):
    hist, future = trend_case
    fc = forecast_volumes(hist, horizon_days=7, country=None)
    assert list(fc.columns[:3]) == ["calls", "lo", "hi"]
    assert fc.index.equals(future.index)  # closed nights (no rows in the history) get no rows
    assert (fc[["calls", "lo", "hi"]] >= 0).all().all()
    assert (fc["lo"] <= fc["calls"]).all() and (fc["calls"] <= fc["hi"]).all()
    per_day = fc["calls"].groupby(fc.index.normalize()).sum()
    true_day = future.groupby(future.index.normalize()).sum()
    assert np.allclose(per_day, true_day, rtol=0.06), (per_day / true_day)
    # the trend is followed: the last week is ~30 % above the first; a flat mean of the last 4 weeks is not
    assert per_day.sum() > 1.03 * hist[hist.index >= hist.index[-1].normalize() - pd.Timedelta(days=27)].sum() / 4
    wape = (fc["calls"] - future).abs().sum() / future.sum()
    assert wape < 0.10


def test_any_interval_length_and_tz_aware_history(trend_case):
    hist, future = trend_case
    hourly = aggregate(hist, 60)
    fc = forecast_volumes(hourly, horizon_days=2, country=None)
    assert (fc.index.minute == 0).all() and fc.attrs["interval_s"] == 3600
    aware = hist.tz_localize("Asia/Shanghai")
    fa = forecast_volumes(aware, horizon_days=1, country=None)
    fn = forecast_volumes(hist, horizon_days=1, country=None)
    assert str(fa.index.tz) == "Asia/Shanghai"
    assert np.allclose(fa["calls"].to_numpy(), fn["calls"].to_numpy())
    assert fa.index.tz_localize(None).equals(fn.index)
    at_utc = fa.index[:4].tz_convert("UTC")  # `at` in another zone: same instants, answered in that zone
    fu = forecast_volumes(aware, at=at_utc, country=None, quantile=0.9)
    assert fu.index.equals(at_utc) and np.allclose(fu["calls"], fa["calls"].iloc[:4])


def test_gap_is_not_a_zero(trend_case):
    hist, _ = trend_case
    last_days = hist.index.normalize() >= hist.index[-1].normalize() - pd.Timedelta(days=13)
    afternoon = (hist.index.hour >= 13) & (hist.index.hour < 17)
    gappy = hist[~(last_days & afternoon)]
    zeros = hist.where(~(last_days & afternoon), 0.0)
    base = forecast_volumes(hist, horizon_days=7, country=None)["calls"].sum()
    with_gap = forecast_volumes(gappy, horizon_days=7, country=None)["calls"].sum()
    with_zeros = forecast_volumes(zeros, horizon_days=7, country=None)["calls"].sum()
    assert abs(with_gap / base - 1) < 0.03
    assert with_zeros / base < 0.9  # what treating the gap as zero calls would have done


def test_closed_day_stays_closed_and_explicit_at():
    weekday = WEEKDAY.copy()
    weekday[6] = 0  # closed on Sundays: no rows
    days = _days("2026-01-05", 56)
    hist = sample(truth(days, weekday=weekday), seed=5)
    fc = forecast_volumes(hist, horizon_days=7, country=None)
    assert not (fc.index.day_of_week == 6).any()
    sunday = pd.Timestamp("2026-03-08")
    at = pd.date_range(sunday - pd.Timedelta(days=1), periods=96, freq="30min")
    fa = forecast_volumes(hist, at=at, country=None)
    assert fa.index.equals(at)
    fq = forecast_volumes(hist, at=at, country=None, quantile=0.9)
    assert (fq.loc[fq.index.normalize() == sunday, ["calls", "lo", "hi", "quantile"]] == 0).all().all()
    assert not fa.loc[fa.index.normalize() == sunday, "open"].any()
    assert fa.loc[(fa.index.normalize() < sunday) & (fa.index.hour == 10), "open"].all()


@pytest.fixture(scope="module")
def china_case():
    """Jan-Sep 2026 history of a centre open every day; holidays at 30 % of a normal day; 调休 days worked."""
    days = _days("2026-01-05", 269 + 11)  # up to 2026-09-30, then Oct 1-11 to forecast
    cal = SpecialDays("CN").day_table(days)
    weekday = np.append(WEEKDAY, 0.3)  # day type 7 = holiday
    expected = truth(days, interval_min=60, weekday=np.ones(7),
                     day_factor={d: weekday[t] for d, t in cal["day_type"].items()})
    end = pd.Timestamp("2026-10-01")
    return sample(expected[expected.index < end], seed=11), expected[expected.index >= end], cal


def test_calendar_holidays_and_tiaoxiu():
    cal = SpecialDays("CN").day_table(pd.DatetimeIndex(["2026-10-01", "2026-10-10", "2026-09-20", "2026-10-12"]))
    assert list(cal["day_type"]) == [7, 2, 1, 0]  # holiday; Sat worked for Wed 7 Oct; Sun for Tue 6 Oct
    assert cal["holiday"].iloc[0] == "National Day"


def test_holiday_and_tiaoxiu_saturday_forecast(china_case):
    hist, future, cal = china_case
    fc = forecast_volumes(hist, horizon_days=11, country="CN")
    per_day = fc["calls"].groupby(fc.index.normalize()).sum()
    true_day = future.groupby(future.index.normalize()).sum()
    assert np.allclose(per_day, true_day, rtol=0.08), (per_day / true_day).round(3).to_dict()
    sat_tiaoxiu, sunday = per_day[pd.Timestamp("2026-10-10")], per_day[pd.Timestamp("2026-10-11")]
    assert sat_tiaoxiu > 2 * sunday  # a 调休 Saturday is a working Wednesday, not a weekend day
    assert fc.attrs["day_types"].loc["2026-10-10", "day_type"] == 2
    # without the calendar the holiday week is forecast as ordinary days: far too high
    plain = forecast_volumes(hist, horizon_days=11, country=None)["calls"]
    assert plain[plain.index.normalize() == "2026-10-02"].sum() > 2 * per_day[pd.Timestamp("2026-10-02")]


def test_events_given_closed_and_learnt(trend_case):
    hist, _ = trend_case
    # learnt: every Wednesday in the history was a "fee day" with twice the calls
    wed = hist.index.day_of_week == 2
    doubled = hist.where(~wed, hist * 2)
    wednesdays = sorted(set(hist.index[wed].normalize().strftime("%Y-%m-%d")))
    start = hist.index[-1].normalize() + pd.Timedelta(days=1)
    future = pd.date_range(start, periods=7, freq="D")
    events = pd.DataFrame({"date": wednesdays + [d.strftime("%Y-%m-%d") for d in future if d.weekday() == 2]
                           + [future[1].strftime("%Y-%m-%d"), future[3].strftime("%Y-%m-%d")],
                           "name": ["fee day"] * (len(wednesdays) + 1) + ["typhoon", "water cut"],
                           "effect": [""] * (len(wednesdays) + 1) + ["closed", "1.5"]})
    fc = forecast_volumes(doubled, horizon_days=7, holidays=events, country=None)
    plain = forecast_volumes(hist, horizon_days=7, country=None)
    day = lambda f, d: f["calls"][f.index.normalize() == d].sum()  # noqa: E731
    wed_future = [d for d in future if d.weekday() == 2][0]
    assert day(fc, wed_future) / day(plain, wed_future) == pytest.approx(2.0, rel=0.1)
    assert day(fc, future[1]) == 0 and not (fc.index.normalize() == future[1]).any()
    assert day(fc, future[3]) / day(plain, future[3]) == pytest.approx(1.5, rel=0.06)


@pytest.fixture(scope="module")
def shock_case():
    """Like trend_case with day-level shocks (sd 10 %): how the morning runs then tells about the afternoon."""
    days = _days("2026-01-05", 84 + 7)
    mean = truth(days, trend_per_day=0.004)
    hist_end = days[84]
    return sample(mean[mean.index < hist_end], seed=4, day_sd=0.1), mean[mean.index >= hist_end]


def test_intraday_reforecast_follows_a_busy_morning(shock_case):
    hist, future = shock_case
    today = future.index[0].normalize()
    noon = today + pd.Timedelta(hours=12)
    evening = forecast_volumes(hist, horizon_days=1, country=None)
    rng = np.random.default_rng(2)
    morning_true = future[future.index < noon]
    for factor, low, high in ((1.4, 1.15, 1.45), (1.0, 0.95, 1.05)):
        morning = pd.Series(rng.poisson(morning_true.to_numpy() * factor).astype(float), index=morning_true.index)
        re = forecast_volumes(pd.concat([hist, morning]), country=None, horizon_days=1)
        assert re.index[0] == noon and re.index[-1].normalize() == today  # rest of today only
        ratio = re["calls"].sum() / evening.loc[re.index, "calls"].sum()
        assert low < ratio < high, (factor, ratio)
        assert (re["lo"] >= 0).all()


def test_types_share_the_total(trend_case):
    hist, _ = trend_case
    frame = pd.concat([pd.DataFrame({"calls": np.round(hist * 0.7), "call_type": "repair"}),
                       pd.DataFrame({"calls": hist - np.round(hist * 0.7), "call_type": "inquiry"})])
    fc = forecast_volumes(frame, horizon_days=1, country=None)
    assert np.allclose(fc["calls_repair"] + fc["calls_inquiry"], fc["calls"])
    assert fc["calls_repair"].sum() / fc["calls"].sum() == pytest.approx(0.7, abs=0.01)


def test_quantile_and_level():
    days = _days("2026-01-05", 42)
    hist = sample(truth(days, base=300), seed=7)
    fc = forecast_volumes(hist, horizon_days=1, level=0.5, quantile=0.9, country=None)
    wide = forecast_volumes(hist, horizon_days=1, level=0.95, country=None)
    assert (fc["quantile"] >= fc["hi"]).all() and (fc["quantile"] > fc["calls"]).mean() > 0.9
    assert ((wide["hi"] - wide["lo"]) >= (fc["hi"] - fc["lo"])).all()
    assert fc.attrs["level"] == 0.5


def test_coverage_roughly_right():
    # 10 weeks with a lognormal day shock (sd 8 %); 2-week rolling-origin backtest at 60-min intervals:
    # ~12 open hours × 14 days = 168 day-ahead intervals, but errors are correlated within a day (the shock),
    # so the effective sample is ~14 days: a 0.65..0.93 window is about ±1.5 binomial sd of 14 days at 0.8.
    days = _days("2026-01-05", 70)
    hist = sample(truth(days, interval_min=60, trend_per_day=0.002), seed=21, day_sd=0.08)
    bt = backtest(hist, weeks=2, country=None, intraday_at=None)
    row = bt.table[(bt.table["horizon"] == "day-ahead") & (bt.table["method"] == "forecast")].iloc[0]
    assert 0.65 <= row["coverage"] <= 0.93, row
    assert set(bt.table["method"]) >= {"forecast", "seasonal_naive", "mean_of_4"}


def test_last_weeks_of_a_long_backtest_is_the_short_backtest(monkeypatch):
    # bench_forecast.py scores the goal period (last weeks) and a longer check from ONE long run: the long run's
    # last week must give the table of a one-week backtest (MASE keeps the long run's scale).  The forecaster
    # is stubbed (deterministic in the history it is given) to keep this fast: it checks the slicing and scoring.
    import staffing.forecast.accuracy as accuracy

    def stub(history, at, **_):
        base = 40.0 + len(history) % 13
        return pd.DataFrame({"calls": base, "lo": base - 5, "hi": base + 5}, index=at)

    monkeypatch.setattr(accuracy, "forecast_volumes", stub)
    hist = sample(truth(_days("2026-01-05", 35), interval_min=60), seed=4, day_sd=0.05)
    short = backtest(hist, weeks=1, country=None, intraday_at="12:00")
    part = backtest(hist, weeks=2, country=None, intraday_at="12:00").last_weeks(1)
    cols = ["horizon", "method", "wape", "coverage", "n", "days"]
    pd.testing.assert_frame_equal(part.table[cols], short.table[cols])
    assert part.points["origin"].nunique() == short.points["origin"].nunique() == 7
    assert part.scale != short.scale  # the long run's in-sample naive scale, as documented


def test_baselines_skip_a_missing_week():
    idx = pd.date_range("2026-01-05", periods=35, freq="D")
    idx = idx[idx.day_of_week < 5]  # weekdays only, like the bank data
    values = pd.Series(np.arange(len(idx), dtype=float) + 1, index=idx + pd.Timedelta(hours=9))
    values = values.drop(pd.Timestamp("2026-01-26 09:00"))  # a Monday holiday: no rows
    h = to_history(values, interval_s=3600)
    target = list(h.dates).index(pd.Timestamp("2026-02-02"))
    naive, mean4 = _baselines(h, target, target)
    assert naive[9] == values[pd.Timestamp("2026-01-19 09:00")]  # the Monday before the missing one
    assert mean4[9] == values[[pd.Timestamp(f"2026-01-{d:02d} 09:00") for d in (5, 12, 19)]].mean()


@pytest.mark.parametrize("kwargs, needle", [
    ({"level": 1.2}, "level"), ({"quantile": 0}, "quantile"), ({"horizon_days": 0}, "horizon_days"),
    ({"holidays": 3}, "holidays"), ({"country": "XX"}, "country"),
])
def test_bad_arguments_one_clear_error(trend_case, kwargs, needle):
    hist, _ = trend_case
    with pytest.raises(ValueError, match=needle):
        forecast_volumes(hist.iloc[:500], **kwargs)


def test_bad_history_errors():
    idx = pd.date_range("2026-01-05 08:00", periods=10, freq="30min")
    with pytest.raises(ValueError, match="calls must be >= 0"):
        forecast_volumes(pd.Series(-1.0, index=idx))
    with pytest.raises(ValueError, match="more than one row"):
        forecast_volumes(pd.Series(1.0, index=idx.append(idx[:1])))
    with pytest.raises(ValueError, match="divide a day"):
        forecast_volumes(pd.Series(1.0, index=pd.date_range("2026-01-05", periods=10, freq="7min")))
    with pytest.raises(ValueError, match="Series"):
        forecast_volumes([1, 2, 3])


def test_intraday_with_a_short_history_uses_the_day_multiplier():
    # 8 days: too few for the slot covariance; the gamma update of the day's multiplier still follows the
    # morning (a 50 % busier morning over ~900 calls is far outside the noise), by less than the raw ratio
    days = _days("2026-01-05", 9)
    mean = truth(days, weekday=np.ones(7))
    hist = sample(mean[mean.index < days[8]], seed=9, day_sd=0.1)
    morning = mean[(mean.index >= days[8]) & (mean.index < days[8] + pd.Timedelta(hours=12))] * 1.5
    evening = forecast_volumes(hist, horizon_days=1, country=None)
    re = forecast_volumes(pd.concat([hist, morning.round()]), horizon_days=1, country=None)
    assert any("intraday" in n for n in re.attrs["notes"])
    ratio = re["calls"].sum() / evening.loc[re.index, "calls"].sum()
    assert 1.1 < ratio < 1.5


def test_a_weekday_the_history_never_reached_is_not_closed():
    days = _days("2026-01-05", 3)  # Mon-Wed only: Thursday and Friday are unknown, not closed
    hist = sample(truth(days, weekday=np.ones(7)), seed=1)
    fc = forecast_volumes(hist, horizon_days=2, country=None)
    assert set(fc.index.normalize().day_of_week) == {3, 4}
    assert any("no Thursday in the history" in n for n in fc.attrs["notes"])
