"""How each metric is presented: group, unit, display scale, a one-line description — in English and Chinese.

The model computes fractions and seconds; a planner reads "81.7 %" and "服务水平". Every table, plot, report
and workbook takes names, units and descriptions from here, so a metric reads the same everywhere and the
two languages stay in step. ``lang`` is ``"en"`` or ``"zh"``.
"""
from __future__ import annotations

LANGS = ("en", "zh")

GROUPS = {
    "service": ("Service", "服务"),
    "handling": ("Handling", "处理"),
    "staffing": ("Staffing", "人员"),
    "cost": ("Cost", "成本"),
    "volume": ("Volume", "话务量"),
}

# metric: (group, unit, scale, English name, Chinese name, English description)
METRIC_LABELS: dict[str, tuple[str, str, float, str, str, str]] = {
    "service_level": ("service", "%", 100, "Service level", "服务水平",
                      "answered within the threshold ÷ offered (short abandons excluded)"),
    "asa": ("service", "s", 1, "Average speed of answer", "平均应答速度",
            "queue entry to agent answer, answered calls"),
    "abandon_rate": ("service", "%", 100, "Abandonment rate", "放弃率",
                     "abandoned ÷ offered, short abandons excluded"),
    "avg_abandon_time": ("service", "s", 1, "Average abandon time", "平均放弃时间",
                         "wait of abandoned callers before hanging up"),
    "percent_answered": ("service", "%", 100, "Percent answered", "接通率", "answered ÷ offered"),
    "avg_rings": ("service", "rings", 1, "Average rings", "平均振铃次数", "rings heard before answer"),
    "answered_within_rings": ("service", "%", 100, "Answered within N rings", "N声内接听率",
                              "answered calls picked up within N ring cycles ÷ answered"),
    "avg_queue_time": ("service", "s", 1, "Average queue time", "平均排队时间",
                       "time in queue of calls that had to queue"),
    "queue_placement_rate": ("service", "%", 100, "Queue placement rate", "排队率",
                             "calls that had to queue ÷ offered"),
    "blocked_rate": ("service", "%", 100, "Blocked-call rate", "占线率", "busy signals ÷ all call attempts"),
    "fcr": ("service", "%", 100, "First-call resolution", "首次解决率",
            "handled calls with no repeat call or callback within the repeat window ÷ handled"),
    "qa_score": ("service", "/100", 1, "Monitoring (QA) score", "质检评分", "score of sampled calls, 0–100"),
    "aht": ("handling", "s", 1, "Average handle time", "平均处理时长", "talk + hold + ACW per handled call"),
    "avg_talk_time": ("handling", "s", 1, "Average talk time", "平均通话时长", "talk per handled call"),
    "avg_hold_time": ("handling", "s", 1, "Average hold time", "平均保持时长", "hold per handled call"),
    "avg_acw": ("handling", "s", 1, "After-call work", "平均话后处理时长", "ACW per handled call"),
    "transfer_rate": ("handling", "%", 100, "Transfer rate", "转接率", "transferred ÷ handled"),
    "occupancy": ("staffing", "%", 100, "Occupancy", "占用率", "busy ÷ (busy + idle) logged-in time"),
    "adherence": ("staffing", "%", 100, "Adherence", "实际工作率",
                  "ready within the scheduled ready time ÷ scheduled ready time"),
    "attendance": ("staffing", "%", 100, "Attendance", "出勤率", "agents working ÷ agents scheduled"),
    "calls_per_agent_hour": ("staffing", "calls/h", 1, "Calls per agent-hour", "人均每小时处理量",
                             "handled ÷ logged-in agent hours"),
    "agent_turnover": ("staffing", "%/yr", 100, "Agent turnover", "员工流失率",
                       "attrition model's expected annual rate (not a measurement)"),
    "overtime_hours": ("staffing", "h", 1, "Overtime", "加班时长", "ready time outside the schedule, hours"),
    "expected_leavers": ("staffing", "heads", 1, "Expected leavers", "预计离职人数",
                         "attrition model's expectation over the horizon (not a measurement)"),
    "agents_ready": ("staffing", "agents", 1, "Agents ready", "就绪座席数", "mean agents logged in and ready"),
    "cost_per_call": ("cost", "CNY", 1, "Cost per call", "单呼成本", "centre cost ÷ calls received"),
    "cost": ("cost", "CNY", 1, "Total cost", "总成本", "paid centre cost over the horizon"),
    "expected_hiring_cost": ("cost", "CNY", 1, "Expected hiring cost", "预计招聘成本",
                             "expected leavers × cost to recruit and train one (model expectation)"),
    "total_calls": ("volume", "calls", 1, "Total calls", "总呼叫量", "all call attempts"),
    "offered": ("volume", "calls", 1, "Offered", "进入队列", "calls that reached the agent queue"),
    "answered": ("volume", "calls", 1, "Answered", "接听", "calls answered by an agent"),
    "abandoned": ("volume", "calls", 1, "Abandoned", "放弃", "callers who hung up while waiting"),
    "handled": ("volume", "calls", 1, "Handled", "处理完成", "calls handled by an agent"),
    "blocked": ("volume", "calls", 1, "Blocked", "占线", "busy signals"),
    "short_abandoned": ("volume", "calls", 1, "Short abandons", "短时放弃",
                        "abandoned within the short-abandon time (left out of the rates when so configured)"),
    "ivr_completed": ("volume", "calls", 1, "Completed in the IVR", "IVR自助完成", "calls ended in the IVR"),
    "outbound_calls": ("volume", "calls", 1, "Outbound calls", "外呼",
                       "calls made by agents (call-backs, return visits, dunning)"),
    "avg_queue_length": ("volume", "callers", 1, "Queue length", "排队长度", "time-average callers waiting"),
    "outbound_share": ("staffing", "%", 100, "Outbound share of busy time", "外呼占用比例",
                       "busy time on outbound calls (call-backs, return visits, dunning) ÷ busy time"),
    # the walk-in counter (sim.counter_metrics)
    "counter.served_within_target": ("service", "%", 100, "Counter: served within N min", "柜台N分钟内接待率",
                                     "visitors served within the target wait ÷ visitors served or gone"),
    "counter.wait_mean": ("service", "s", 1, "Counter: mean wait", "柜台平均等待", "arrival to service, served"),
    "counter.wait_p90": ("service", "s", 1, "Counter: 90th-percentile wait", "柜台90%等待时间",
                         "per replication, averaged"),
    "counter.balk_rate": ("service", "%", 100, "Counter: turned away", "柜台见队离开率",
                          "visitors who did not join the queue ÷ visitors"),
    "counter.left_rate": ("service", "%", 100, "Counter: left the queue", "柜台排队离开率",
                          "left before service ÷ visitors served or gone"),
    "counter.staff_share": ("staffing", "%", 100, "Counter: share of staff time", "柜台占用工时比例",
                            "staff time at the counter ÷ ready time"),
    "counter.staff_hours": ("staffing", "h", 1, "Counter: staff hours", "柜台工时", "staff time at the counter"),
    "counter.visits": ("volume", "visitors", 1, "Counter: visitors", "柜台来访人数", "visitors arrived"),
    "counter.served": ("volume", "visitors", 1, "Counter: served", "柜台接待人数", "visitors served"),
    "counter.open": ("volume", "visitors", 1, "Counter: still there at the end", "柜台结束时未完成",
                     "waiting or in service when the run ended"),
}

from sim.callbacks_metrics import CALLBACK_GROUP, CALLBACK_LABELS  # noqa: E402 - their labels live with them

GROUPS |= CALLBACK_GROUP
METRIC_LABELS |= CALLBACK_LABELS

UI = {  # table headers, plot titles and report words
    "metric": ("metric", "指标"), "mean": ("mean", "均值"), "ci": ("95 % CI", "95% 置信区间"),
    "unit": ("unit", "单位"), "target": ("target", "目标"), "status": ("status", "状态"),
    "group": ("group", "类别"), "description": ("description", "说明"),
    "variant": ("variant", "方案"), "difference": ("difference vs reference", "与基准之差"),
    "pass": ("pass", "达标"), "fail": ("fail", "未达标"), "inconclusive": ("inconclusive", "不确定"),
    "service_level_heatmap": ("Service level by weekday and time", "各星期/时段服务水平"),
    "abandon_rate_heatmap": ("Abandonment by weekday and time", "各星期/时段放弃率"),
    "occupancy_heatmap": ("Occupancy by weekday and time", "各星期/时段占用率"),
    "net_staffing_heatmap": ("Net staffing (scheduled − required) by weekday and time",
                             "各星期/时段净人力（排班 − 需求）"),
    "average_day": ("Average day (mean over days, 95 % CI band)", "平均日曲线（日均值与95%置信带）"),
    "weekday": ("weekday", "星期"), "time": ("time of day", "时段"), "date": ("date", "日期"),
    "summary": ("summary", "汇总"), "intervals": ("intervals", "时段明细"),
    "requirements": ("requirements", "人力需求"), "roster": ("roster", "排班"),
    "comparison": ("comparison", "方案对比"), "report": ("report", "报告"),
}

PLOT_TEXT_ZH = {  # fixed words of the figures in sim.plots, sim.heatmaps and the report
    "Calls per interval": "各时段呼叫量", "calls per interval": "每时段呼叫数", "offered": "进入队列",
    "answered": "接听", "abandoned": "放弃", "Service level and ASA per interval": "各时段服务水平与平均应答速度",
    "service level (%)": "服务水平 (%)", "ASA": "平均应答速度", "ASA (s)": "平均应答速度 (秒)",
    "Agents and queue": "座席与排队", "agents": "座席", "scheduled": "排班", "ready on the phones": "就绪接听",
    "callers waiting (time average)": "排队来电（时间平均）", "queue length": "排队长度",
    "Occupancy per interval": "各时段占用率", "occupancy (%)": "占用率 (%)", "occupancy": "占用率",
    "Staffing requirement vs scheduled": "人力需求与排班", "required (Erlang)": "需求（Erlang）",
    "ready (simulated)": "就绪（仿真）", "agent-shift": "班次", "weekday and clock time": "星期与时刻",
    "Shifts (grey: breaks; purple: night duty)": "班次（灰：休息；紫：夜班）", "target": "目标",
    "answered within": "接听时限",
}


def translate(text: str, lang: str = "en") -> str:
    """Chinese for a fixed figure word (unchanged when ``lang='en'`` or unknown)."""
    return text if check_lang(lang) == "en" else PLOT_TEXT_ZH.get(text, text)


WEEKDAYS = {"en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
            "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日")}


def check_lang(lang: str) -> str:
    """``lang`` if supported; ValueError naming the allowed values otherwise."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    return lang


def metric_name(metric: str, lang: str = "en") -> str:
    info = METRIC_LABELS.get(metric)
    if info is None:
        return metric
    return info[3] if check_lang(lang) == "en" else info[4]


def metric_unit(metric: str) -> str:
    return METRIC_LABELS.get(metric, ("", "", 1))[1]


def percent_metrics() -> tuple[str, ...]:
    """Metrics shown as percentages (fractions in the model)."""
    return tuple(m for m, info in METRIC_LABELS.items() if info[1] == "%")


def metric_scale(metric: str) -> float:
    """Factor from the model's value to the displayed one (100 for fractions shown as %)."""
    return float(METRIC_LABELS.get(metric, ("", "", 1))[2])


def metric_group(metric: str) -> str:
    return METRIC_LABELS.get(metric, ("volume",))[0]


def metric_description(metric: str) -> str:
    return METRIC_LABELS.get(metric, ("", "", 1, "", "", ""))[5]


def word(key: str, lang: str = "en") -> str:
    pair = UI.get(key)
    return key if pair is None else pair[0 if check_lang(lang) == "en" else 1]


def group_name(group: str, lang: str = "en") -> str:
    return GROUPS[group][0 if check_lang(lang) == "en" else 1]


def display(metric: str, value, unit: bool = True) -> str:
    """'81.7 %', '15.4 s', '3.2 rings', '12,310 CNY', '–' for a missing value (``unit=False``: the number)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    if v != v or v in (float("inf"), float("-inf")):
        return "–"
    u = metric_unit(metric)
    v *= metric_scale(metric)
    if u in ("%", "%/yr"):
        text = f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"   # 81.7, 5.23, 0.137: three significant digits
    elif abs(v) >= 1000:
        text = f"{v:,.0f}"
    else:
        text = f"{v:.4g}"
    return f"{text} {u}" if unit and u else text
