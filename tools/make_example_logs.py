"""Example phone-system logs from known parameters, by a short event loop that is NOT acdsim's model.

Run: ``python tools/make_example_logs.py --days 28 --seed 7 --out examples/history`` writes
``queue_log.gz`` (Asterisk queue_log), ``cdr.csv.gz`` (one row per queue attempt) and ``truth.json`` (every
parameter, and what was realised). Calibration is tested against ``truth.json``.

The centre (plain Python: ``heapq`` event list, ``random.Random``; times in seconds):

- Two queues, ``repair`` and ``billing``, each a call type; one pool of agents serves both, oldest caller
  first. First attempts are Poisson with a rate that is constant inside each 30-min interval and depends on
  weekday × interval (``truth.json: arrivals.calls_per_interval[weekday][interval]``), split by the type
  shares. 2 % of callers withhold their number ("anonymous").
- Every queued caller draws a patience ~ exponential(mean ``patience_mean_s``), independent of everything
  else, and hangs up (ABANDON) when it runs out before an agent connects — also while an agent's phone is
  ringing. A caller is *connected* (CONNECT) when the agent picks up after ``ring_s`` of ringing; with
  probability ``ring_no_answer_prob`` the agent does not pick up (RINGNOANSWER after 15 s) and the caller
  stays first in line. ``billing`` has a queue timeout (EXITWITHTIMEOUT after ``billing_timeout_s``).
  Censoring, as a reader must treat it: answered waits (to CONNECT) and timed-out waits are right-censored
  patience observations; ABANDON waits are exact patience observations.
- Talk ~ lognormal with the type's mean and CV (``truth.json: call_types.*.talk``), measured from CONNECT to
  the end (COMPLETECALLER / COMPLETEAGENT, or TRANSFER for the ``transfer_prob`` share of repair calls,
  which leave the centre at the transfer). After each call the agent is in wrap-up (ACW) for ``acw_s``.
- An abandoning caller calls again with probability ``redial_prob`` after an exponential delay (mean
  ``redial_delay_mean_s``), with the same caller id, into the same queue (at most ``max_redials`` times).
- Agents follow a staffing plan (agents wanted per weekday × interval): at each interval start the first
  ``n`` agents are members of both queues (ADDMEMBER), the others leave (REMOVEMEMBER) once their call and
  ACW are over — the last agent stays while callers wait. Logged-in agents take breaks (exponential gaps,
  mean ``pause_gap_mean_s``; length exponential, mean ``pause_mean_s``), after the call in hand, logged as
  PAUSEALL/UNPAUSEALL (even agent numbers) or per-queue PAUSE/UNPAUSE lines (odd ones).
- Timestamps are whole epoch seconds (as Asterisk writes them); holdtime / calltime / waittime are
  differences of those, so their means are unbiased for the continuous times.
"""
from __future__ import annotations

import argparse
import datetime
import gzip
import heapq
import itertools
import json
import math
import random
from pathlib import Path
from zoneinfo import ZoneInfo

INTERVAL_S = 1800
OPEN_H, CLOSE_H = 8, 20

DEFAULTS = {
    "start_date": "2024-03-04", "tz": "Asia/Shanghai", "days": 28,
    "daily_calls": {"weekday": 520.0, "saturday": 320.0, "sunday": 220.0},
    "call_types": {"repair": {"share": 0.6, "talk": {"family": "lognormal", "mean": 240.0, "cv": 0.7},
                              "transfer_prob": 0.05},
                   "billing": {"share": 0.4, "talk": {"family": "lognormal", "mean": 150.0, "cv": 0.6},
                               "transfer_prob": 0.0}},
    "patience_mean_s": 120.0, "billing_timeout_s": 240.0, "ring_s": 3.0, "ring_no_answer_prob": 0.03,
    "acw_s": 15.0, "redial_prob": 0.4, "redial_delay_mean_s": 300.0, "max_redials": 3,
    "anonymous_share": 0.02, "pause_gap_mean_s": 5400.0, "pause_mean_s": 480.0,
}


def arrival_profile(p: dict) -> list[list[float]]:
    """Expected first attempts per 30-min interval for weekday 0..6 (Mon..Sun): bimodal, 08:00-20:00."""
    weights = []
    for k in range(48):
        h = (k + 0.5) / 2
        w = 0.0 if not OPEN_H <= h < CLOSE_H else (
            math.exp(-((h - 10.5) / 1.8) ** 2) + 0.8 * math.exp(-((h - 15.0) / 2.0) ** 2) + 0.15)
        weights.append(w)
    total = sum(weights)
    daily = p["daily_calls"]
    per_day = [daily["weekday"]] * 5 + [daily["saturday"], daily["sunday"]]
    return [[d * w / total for w in weights] for d in per_day]


def staffing_plan(p: dict, profile: list[list[float]]) -> list[list[int]]:
    """Agents wanted per weekday × interval: offered load plus a thin margin (some callers abandon)."""
    types = p["call_types"]
    aht = sum(t["share"] * t["talk"]["mean"] for t in types.values()) + p["acw_s"] + p["ring_s"]
    plan = []
    for day in profile:
        row = []
        for k, calls in enumerate(day):
            a = calls * aht / INTERVAL_S
            open_ = OPEN_H * 2 <= k < CLOSE_H * 2
            row.append(max(2, math.ceil(a + 0.6 * math.sqrt(a))) if open_ else 0)
        plan.append(row)
    return plan


class Centre:
    """The event loop. ``run()`` returns (queue_log lines, CDR rows, realised counts)."""

    def __init__(self, p: dict, seed: int):
        self.p = p
        self.rng = random.Random(seed)
        self.zone = ZoneInfo(p["tz"])
        start = datetime.datetime.fromisoformat(p["start_date"]).replace(tzinfo=self.zone)
        self.t0 = start.timestamp()
        self.weekday0 = start.weekday()
        self.profile = arrival_profile(p)
        self.plan = staffing_plan(p, self.profile)
        self.events: list = []
        self.seq = itertools.count()
        self.lines: list[str] = []
        self.cdr: list[dict] = []
        self.waiting: list[dict] = []  # FIFO of callers waiting (oldest first)
        n_agents = max(max(r) for r in self.plan) + 1
        self.agents = [{"name": f"SIP/{8001 + i}", "i": i, "member": False, "paused": False, "busy": False,
                        "leave": False, "pause_wanted": 0.0, "idle_since": 0.0} for i in range(n_agents)]
        self.uid = itertools.count(1)
        self.stats = {"first_attempts": 0, "redials": 0, "abandoned": 0, "answered": 0, "timeouts": 0,
                      "transferred": 0, "ring_no_answer": 0, "patience_draws": 0}
        sigma = {}
        for name, t in p["call_types"].items():
            s2 = math.log(1 + t["talk"]["cv"] ** 2)
            sigma[name] = (math.log(t["talk"]["mean"]) - s2 / 2, math.sqrt(s2))
        self.talk_params = sigma

    # ------------------------------------------------------------------ plumbing
    def at(self, t: float, fn, *args) -> None:
        heapq.heappush(self.events, (t, next(self.seq), fn, args))

    def log(self, t: float, uid: str, queue: str, agent: str, event: str, *data) -> None:
        self.lines.append("|".join([str(int(self.t0 + t)), uid, queue, agent, event, *map(str, data)]))

    @staticmethod
    def sec(t: float) -> int:
        return int(t)

    # ------------------------------------------------------------------ arrivals
    def schedule_arrivals(self, days: int) -> None:
        types = list(self.p["call_types"])
        shares = [self.p["call_types"][n]["share"] for n in types]
        for d in range(days):
            wd = (self.weekday0 + d) % 7
            for k, rate in enumerate(self.profile[wd]):
                if rate <= 0:
                    continue
                t = d * 86400.0 + k * INTERVAL_S
                end = t + INTERVAL_S
                while True:  # Poisson process with constant rate inside the interval
                    t += self.rng.expovariate(rate / INTERVAL_S)
                    if t >= end:
                        break
                    queue = self.rng.choices(types, shares)[0]
                    anonymous = self.rng.random() < self.p["anonymous_share"]
                    caller = "anonymous" if anonymous else f"1{self.rng.randrange(3 * 10**9, 9 * 10**9)}"
                    self.at(t, self.arrive, {"caller": caller, "queue": queue, "redials": 0})
                    self.stats["first_attempts"] += 1

    def arrive(self, t: float, c: dict) -> None:
        c = dict(c, uid=f"{int(self.t0 + t)}.{next(self.uid)}", enter=t, state="waiting", agent=None,
                 pos=len(self.waiting) + 1)
        self.log(t, c["uid"], c["queue"], "NONE", "ENTERQUEUE", "", c["caller"], c["pos"])
        self.waiting.append(c)
        self.stats["patience_draws"] += 1
        self.at(t + self.rng.expovariate(1.0 / self.p["patience_mean_s"]), self.patience_out, c)
        if c["queue"] == "billing":
            self.at(t + self.p["billing_timeout_s"], self.timeout, c)
        self.dispatch(t)

    # ------------------------------------------------------------------ queue
    def dispatch(self, t: float) -> None:
        while self.waiting:
            free = [a for a in self.agents if a["member"] and not a["paused"] and not a["busy"]]
            if not free:
                return
            agent = min(free, key=lambda a: (a["idle_since"], a["i"]))
            c = self.waiting.pop(0)
            c["state"], c["agent"] = "ringing", agent
            agent["busy"] = True
            if self.rng.random() < self.p["ring_no_answer_prob"]:
                self.at(t + 15.0, self.ring_no_answer, c, agent)
            else:
                self.at(t + self.p["ring_s"], self.connect, c, agent)

    def ring_no_answer(self, t: float, c: dict, agent: dict) -> None:
        if c["state"] != "ringing" or c["agent"] is not agent:
            return
        self.stats["ring_no_answer"] += 1
        self.log(t, c["uid"], c["queue"], agent["name"], "RINGNOANSWER", 15000)
        c["state"], c["agent"] = "waiting", None
        self.waiting.insert(0, c)
        self.agent_free(t, agent)

    def connect(self, t: float, c: dict, agent: dict) -> None:
        if c["state"] != "ringing" or c["agent"] is not agent:
            return
        c["state"], c["answer"] = "talking", t
        hold = self.sec(t + self.t0) - self.sec(c["enter"] + self.t0)
        self.log(t, c["uid"], c["queue"], agent["name"], "CONNECT", hold, f"{int(self.t0 + t)}.{next(self.uid)}",
                 int(self.p["ring_s"]))
        self.stats["answered"] += 1
        mu, sigma = self.talk_params[c["queue"]]
        self.at(t + self.rng.lognormvariate(mu, sigma), self.hang_up, c, agent)

    def hang_up(self, t: float, c: dict, agent: dict) -> None:
        hold = self.sec(c["answer"] + self.t0) - self.sec(c["enter"] + self.t0)
        talk = self.sec(t + self.t0) - self.sec(c["answer"] + self.t0)
        if self.rng.random() < self.p["call_types"][c["queue"]]["transfer_prob"]:
            self.stats["transferred"] += 1
            self.log(t, c["uid"], c["queue"], agent["name"], "TRANSFER", "9000", "from-internal", hold, talk, c["pos"])
            outcome = "TRANSFERRED"
        else:
            event = "COMPLETECALLER" if self.rng.random() < 0.5 else "COMPLETEAGENT"
            self.log(t, c["uid"], c["queue"], agent["name"], event, hold, talk, c["pos"])
            outcome = "ANSWERED"
        self.record(c, t, outcome, agent["name"])
        self.at(t + self.p["acw_s"], self.agent_free, agent)

    def patience_out(self, t: float, c: dict) -> None:
        if c["state"] not in ("waiting", "ringing"):
            return
        if c["state"] == "ringing":
            agent = c["agent"]
            self.log(t, c["uid"], c["queue"], agent["name"], "RINGCANCELED", 1000 * int(t - c["enter"]))
            self.agent_free(t, agent)
        else:
            self.waiting.remove(c)
        c["state"] = "gone"
        wait = self.sec(t + self.t0) - self.sec(c["enter"] + self.t0)
        self.log(t, c["uid"], c["queue"], "NONE", "ABANDON", 1, c["pos"], wait)
        self.stats["abandoned"] += 1
        self.record(c, t, "ABANDONED", "")
        if c["redials"] < self.p["max_redials"] and self.rng.random() < self.p["redial_prob"]:
            self.stats["redials"] += 1
            self.at(t + self.rng.expovariate(1.0 / self.p["redial_delay_mean_s"]), self.arrive,
                    {"caller": c["caller"], "queue": c["queue"], "redials": c["redials"] + 1})

    def timeout(self, t: float, c: dict) -> None:
        if c["state"] != "waiting":
            return
        self.waiting.remove(c)
        c["state"] = "gone"
        wait = self.sec(t + self.t0) - self.sec(c["enter"] + self.t0)
        self.log(t, c["uid"], c["queue"], "NONE", "EXITWITHTIMEOUT", 1, c["pos"], wait)
        self.stats["timeouts"] += 1
        self.record(c, t, "TIMEOUT", "")

    def record(self, c: dict, t: float, outcome: str, agent: str) -> None:
        local = lambda s: datetime.datetime.fromtimestamp(int(self.t0 + s), self.zone).strftime(  # noqa: E731
            "%Y-%m-%d %H:%M:%S")
        answered = "answer" in c
        self.cdr.append({
            "uniqueid": c["uid"], "src": c["caller"], "queue": c["queue"], "start": local(c["enter"]),
            "answer": local(c["answer"]) if answered else "", "end": local(t), "disposition": outcome,
            "wait": self.sec((c["answer"] if answered else t) + self.t0) - self.sec(c["enter"] + self.t0),
            "billsec": self.sec(t + self.t0) - self.sec(c["answer"] + self.t0) if answered else 0,
            "acw": int(self.p["acw_s"]) if answered else "", "agent": agent})

    # ------------------------------------------------------------------ agents
    def agent_free(self, t: float, agent: dict) -> None:
        agent["busy"] = False
        agent["idle_since"] = t
        if agent["leave"] and not self._last_needed(agent):
            self.remove(t, agent)
        elif agent["pause_wanted"] > 0 and agent["member"]:
            self.pause(t, agent)
        self.dispatch(t)

    def _last_needed(self, agent: dict) -> bool:
        """The last logged-in agent stays while callers wait."""
        others = [a for a in self.agents if a["member"] and a is not agent and not a["leave"]]
        return bool(self.waiting) and not others

    def queues(self) -> list[str]:
        return list(self.p["call_types"])

    def add(self, t: float, agent: dict) -> None:
        agent["leave"] = False
        if agent["member"]:
            return
        for q in self.queues():
            self.log(t, "NONE", q, agent["name"], "ADDMEMBER", "")
        agent["member"], agent["idle_since"] = True, t
        agent["session"] = agent.get("session", 0) + 1
        self.at(t + self.rng.expovariate(1.0 / self.p["pause_gap_mean_s"]), self.want_pause, agent, agent["session"])

    def remove(self, t: float, agent: dict) -> None:
        for q in self.queues():
            self.log(t, "NONE", q, agent["name"], "REMOVEMEMBER", "")
        agent.update(member=False, paused=False, leave=False, pause_wanted=0.0)

    def want_pause(self, t: float, agent: dict, session: int) -> None:
        if not agent["member"] or agent["leave"] or session != agent["session"]:
            return
        agent["pause_wanted"] = self.rng.expovariate(1.0 / self.p["pause_mean_s"])
        if not agent["busy"] and not agent["paused"]:
            self.pause(t, agent)

    def pause(self, t: float, agent: dict) -> None:
        length, agent["pause_wanted"] = agent["pause_wanted"], 0.0
        agent["paused"] = True
        if agent["i"] % 2 == 0:
            self.log(t, "NONE", "NONE", agent["name"], "PAUSEALL", "break")
        else:
            for q in self.queues():
                self.log(t, "NONE", q, agent["name"], "PAUSE", "break")
        self.at(t + length, self.unpause, agent)

    def unpause(self, t: float, agent: dict) -> None:
        if not agent["member"] or not agent["paused"]:
            return
        agent["paused"] = False
        if agent["i"] % 2 == 0:
            self.log(t, "NONE", "NONE", agent["name"], "UNPAUSEALL", "")
        else:
            for q in self.queues():
                self.log(t, "NONE", q, agent["name"], "UNPAUSE", "")
        self.at(t + self.rng.expovariate(1.0 / self.p["pause_gap_mean_s"]), self.want_pause, agent,
                agent["session"])
        agent["idle_since"] = t
        self.dispatch(t)

    def staff(self, t: float, day: int, k: int) -> None:
        wanted = self.plan[(self.weekday0 + day) % 7][k]
        for agent in self.agents:
            if agent["i"] < wanted:
                self.add(t, agent)
            elif agent["member"] and not agent["leave"]:
                agent["leave"] = True
                if not agent["busy"] and not self._last_needed(agent):
                    self.remove(t, agent)
        self.dispatch(t)

    # ------------------------------------------------------------------ run
    def run(self, days: int) -> tuple[list[str], list[dict], dict]:
        self.log(0.0, "NONE", "NONE", "NONE", "QUEUESTART", "")
        self.schedule_arrivals(days)
        for d in range(days):
            for k in range(48):
                self.at(d * 86400.0 + k * INTERVAL_S, self.staff, d, k)
        self.at(days * 86400.0 / 2 + 3 * 3600.0, lambda t: self.log(t, "NONE", "NONE", "NONE", "CONFIGRELOAD", ""))
        while self.events:
            t, _, fn, args = heapq.heappop(self.events)
            fn(t, *args)
        return self.lines, sorted(self.cdr, key=lambda r: (r["start"], r["uniqueid"])), self.stats


def generate(days: int = 28, seed: int = 7, **overrides) -> tuple[list[str], list[dict], dict]:
    """(queue_log lines, CDR rows, truth dict) of ``days`` days from the parameters in ``DEFAULTS``."""
    p = json.loads(json.dumps(DEFAULTS)) | overrides | {"days": days}
    centre = Centre(p, seed)
    lines, cdr, stats = centre.run(days)
    truth = {"seed": seed, "parameters": p,
             "arrivals": {"interval_minutes": INTERVAL_S // 60,
                          "calls_per_interval": dict(zip(("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
                                                         centre.profile))},
             "staffing_plan": dict(zip(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), centre.plan)),
             "realised": stats}
    return lines, cdr, truth


def write(out: Path, days: int, seed: int, gz: bool = True) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    lines, cdr, truth = generate(days, seed)
    opener = (lambda p: gzip.open(p, "wt", encoding="utf-8", newline="", compresslevel=9)) if gz else (
        lambda p: open(p, "w", encoding="utf-8", newline=""))
    suffix = ".gz" if gz else ""
    with opener(out / f"queue_log{suffix}") as f:
        f.write("\n".join(lines) + "\n")
    with opener(out / f"cdr.csv{suffix}") as f:
        cols = list(cdr[0])
        f.write(",".join(cols) + "\n")
        for row in cdr:
            f.write(",".join(str(row[c]) for c in cols) + "\n")
    (out / "truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=28)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path("examples/history"))
    ap.add_argument("--plain", action="store_true", help="write uncompressed files")
    args = ap.parse_args()
    truth = write(args.out, args.days, args.seed, gz=not args.plain)
    print(json.dumps(truth["realised"]))


if __name__ == "__main__":
    main()
