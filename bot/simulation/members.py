"""The simulated network's people and what they say: pure, seeded, no I/O.

Rates follow the domain notes: about 60% of prompts answered, 55% of pairs
meeting, steals split adapted/accelerated/closely based at roughly 63/29/8
(the Beacon Scheme's own mix).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = [
    "ANSWER_RATE",
    "MEET_RATE",
    "STEAL_RATE",
    "SHARE_RATE",
    "STEAL_MODES",
    "TOPICS",
    "ZONES",
    "Person",
    "make_people",
    "reflection_answer",
    "commitment_answer",
    "learned_line",
    "practice_values",
    "steal_mode",
    "steal_note",
    "outcome_note",
]

ANSWER_RATE = 0.60  # of reflection prompts
MEET_RATE = 0.55  # of "did you meet?" questions
STEAL_RATE = 0.10  # per member per week
SHARE_RATE = 0.06  # per member per week, after the first few practices
STEAL_MODES = (("adapted", 0.63), ("accelerated", 0.29), ("closely_based", 0.08))

TOPICS = (
    "youth engagement",
    "volunteer retention",
    "data sharing",
    "safeguarding",
    "digital inclusion",
    "community consultation",
    "staff induction",
    "peer support",
    "funding bids",
    "impact measurement",
    "partnership working",
    "tenant participation",
    "mental health first aid",
    "outreach",
    "co-production",
    "service redesign",
    "training design",
    "social prescribing",
    "complaints handling",
    "carers support",
)
ORGANISATIONS = (
    "Riverside Council",
    "Hill Housing Agency",
    "Valley Academy",
    "Coast Charity Trust",
    "Northgate Library Service",
    "Meadow Health Partnership",
    "Harbour Youth Project",
    "Eastfield Volunteers",
    "Moorland Fire Service",
)
ZONES = ("Europe/London", "Europe/London", "Europe/Dublin", "Europe/Berlin", "America/New_York", "Asia/Kolkata")
FIRST_NAMES = (
    "Ana",
    "Ben",
    "Chi",
    "Dev",
    "Ela",
    "Finn",
    "Gus",
    "Hana",
    "Ivo",
    "Jo",
    "Kim",
    "Leo",
    "Mia",
    "Nia",
    "Oli",
    "Pia",
    "Raj",
    "Sam",
    "Tia",
    "Uma",
    "Vic",
    "Wes",
    "Yan",
    "Zoe",
)
LAST_NAMES = ("Adeyemi", "Brown", "Costa", "Doyle", "Evans", "Fischer", "Gupta", "Hughes", "Khan", "Lewis", "Murphy",
              "Novak", "Okafor", "Patel", "Quinn", "Roberts", "Singh", "Taylor", "Walsh", "Young")  # fmt: skip
TRIED = (
    "I tried a shorter {t} check-in with two colleagues",
    "we ran a pilot on {t} with one team",
    "I rewrote our {t} guidance in plain English",
    "we invited a partner to shadow our {t} session",
    "I asked three members what gets in the way of {t}",
)
HAPPENED = (
    "it took less time than I feared and people said more",
    "half the group joined; the others wanted notice",
    "we found two duplicated steps",
    "it surfaced a problem nobody had named",
    "the first week was slow, then it picked up",
)
LEARNED = (
    "ask before designing",
    "small tests beat big plans",
    "a visit shows what a report misses",
    "people engage when they set the agenda",
    "the quiet ones had the best ideas",
    "write down the tacit bits",
)
NEXT = (
    "Share the checklist with my team by Friday",
    "Try the new {t} session again in 2 weeks",
    "Write up what we learned about {t} by the end of the month",
    "Book a call with my pair next week",
    "Ask our manager for time to test {t} by 15 January",
)


@dataclass
class Person:
    """One simulated member: who they are and their own seeded dice."""

    user: str
    name: str
    organisation: str
    timezone: str
    wants: list[str]
    offers: list[str]
    keen: float  # 0.6..1.4: how engaged this person is compared with the average
    rng: random.Random = field(repr=False, default_factory=random.Random)

    def chance(self, rate: float) -> bool:
        return self.rng.random() < min(0.95, rate * self.keen)


def _unique_name(rng: random.Random, used: set[str]) -> str:
    """A name nobody in ``used`` has: a fresh first and last name while any are left, then a numbered one.

    Drawing until a fresh pair turns up would never end once every pair is taken
    (beyond 480 members), so a larger network's later members get "Amara Khan 2".
    """
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    if len(used) < len(FIRST_NAMES) * len(LAST_NAMES):
        while name in used:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        return name
    number = 2
    while f"{name} {number}" in used:
        number += 1
    return f"{name} {number}"


def make_people(rng: random.Random, n: int) -> list[Person]:
    """``n`` members from 5–8 organisations, with wants and offers from the topic list."""
    orgs = rng.sample(ORGANISATIONS, rng.randint(5, min(8, len(ORGANISATIONS))))
    people, used = [], set()
    for i in range(n):
        name = _unique_name(rng, used)
        used.add(name)
        topics = rng.sample(TOPICS, 4)
        people.append(Person(
            user=f"m{i + 1:04d}", name=name, organisation=orgs[i % len(orgs)] if i < len(orgs) else rng.choice(orgs),
            timezone=rng.choice(ZONES), wants=topics[:2], offers=topics[2:4], keen=rng.uniform(0.6, 1.4),
            rng=random.Random(rng.getrandbits(64)),
        ))  # fmt: skip
    return people


def _topic(p: Person) -> str:
    return p.rng.choice(p.wants + p.offers)


def reflection_answer(p: Person, index: int) -> str:
    """An answer for question ``index``: tried, happened, learned, in turn."""
    pool = (TRIED, HAPPENED, LEARNED)[index % 3]
    return p.rng.choice(pool).format(t=_topic(p)).capitalize() + "."


def commitment_answer(p: Person) -> str:
    return p.rng.choice(NEXT).format(t=_topic(p))


def learned_line(p: Person) -> str:
    return f"{p.rng.choice(LEARNED).capitalize()}; they do {_topic(p)} very differently."


def practice_values(p: Person) -> dict[str, str]:
    """The share form's fields, as a member would fill them in."""
    t = p.rng.choice(p.offers)
    return {
        "title": f"{p.rng.choice(('Quick', 'Peer-led', 'Monthly', 'Open-door', 'Two-page'))} {t} {p.rng.choice(('check-in', 'clinic', 'walkabout', 'toolkit', 'buddy scheme'))}",
        "problem": f"Our {t} work depended on one or two people",
        "what_we_did": f"We set up a short, regular {t} slot that anyone in {p.organisation} can join",
        "what_made_it_work": "A named host, the same time each month, and tea",
        "watch_out_for": "Don't let it turn into a status meeting",
        "evidence": "More people came back a second time",
        "tags": f"{t}, {p.rng.choice(TOPICS)}",
        "contact": p.name,
    }


def steal_mode(p: Person) -> str:
    roll, total = p.rng.random(), 0.0
    for mode, share in STEAL_MODES:
        total += share
        if roll < total:
            return mode
    return STEAL_MODES[0][0]


def steal_note(p: Person, mode: str) -> str:
    return {
        "adapted": f"Same idea, but fitted to our {p.rng.choice(p.wants)} work",
        "accelerated": "We had started something similar; this gave us the push",
        "closely_based": "Copying it almost exactly for our team",
    }[mode]


def outcome_note(p: Person) -> str:
    return p.rng.choice(("People liked it", "Took longer to set up than expected", "Still early, but promising",
                         "Worked for some teams, not others"))  # fmt: skip
