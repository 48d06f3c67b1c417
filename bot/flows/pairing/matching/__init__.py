"""Pure matching rules for learning pairs and visit trios: who meets whom in a round, and why.

The rules are pure (no I/O, no store) so the pairing flow, the tests and
``bench/pairing.py`` all run exactly the same code. Import them from here.
The modules, lowest first: ``tags`` (what members type, made comparable),
``score`` (a pair's score and its reasons), ``words`` (reasons put into
words), ``search`` (finding good groups over member indices) and ``groups``
(``form_groups``, one round).
"""

from __future__ import annotations

from bot.flows.pairing.matching.groups import form_groups
from bot.flows.pairing.matching.score import Candidate, Group, Reason, Weights, pair_score, recent_pairs
from bot.flows.pairing.matching.tags import normalise_tag, parse_tags
from bot.flows.pairing.matching.words import explain, suggest_first_question

__all__ = [
    "Candidate",
    "Group",
    "Reason",
    "Weights",
    "explain",
    "form_groups",
    "normalise_tag",
    "pair_score",
    "parse_tags",
    "recent_pairs",
    "suggest_first_question",
]
