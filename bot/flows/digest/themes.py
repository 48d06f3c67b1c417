"""Themes of shared reflections: the words and two-word phrases members used most.

Pure and deliberately simple (no stemming, no model): a coordinator reads the
top few as a hint of what the network is talking about, not as analysis.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

__all__ = ["STOP_WORDS", "themes"]

STOP_WORDS = frozenset(
    """
a about above after again against all also am an and any are aren't as at be because been before being below
between both but by can can't could couldn't did didn't do does doesn't doing don't down during each few for from
further get got had hadn't has hasn't have haven't having he her here hers herself him himself his how i i'd i'll
i'm i've if in into is isn't it it's its itself just let's like made make me more most much must my myself next no
nor not now of off on once one only or other our ours ourselves out over own really same she should so some still
such than that that's the their theirs them themselves then there there's these they they're this those through
to too try tried under until up us very was wasn't we we'd we'll we're we've were weren't what what's when where
which while who whom why will with won't would wouldn't you you'd you'll you're you've your yours yourself
yourselves week weeks time thing things lot bit going went want wanted think thought way new well good yes
""".split()
)

_CLAUSE = re.compile(r"[.,;:!?()\n\"“”]+")  # a phrase never spans a sentence or a list
_WORD = re.compile(r"[a-zà-öø-ÿ][a-zà-öø-ÿ'’-]*[a-zà-öø-ÿ]|[a-zà-öø-ÿ]")


def _words(text: str) -> list[str]:
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


def themes(texts: Iterable[str], *, top: int = 5, min_count: int = 2) -> list[tuple[str, int]]:
    """The ``top`` most frequent phrases (two words) and words, each counted once per text.

    A phrase is kept when it occurs at least ``min_count`` times, and a word
    already inside a kept phrase is not listed again.
    """
    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    for text in texts:
        tokens = _words(text or "")
        content = [t for t in tokens if t not in STOP_WORDS and len(t) > 2]
        words.update(set(content))
        for clause in _CLAUSE.split(text or ""):
            ts = _words(clause)
            pairs.update({f"{a} {b}" for a, b in zip(ts, ts[1:])
                          if a != b and a not in STOP_WORDS and b not in STOP_WORDS and len(a) > 2 and len(b) > 2})  # fmt: skip
    picked: list[tuple[str, int]] = []
    covered: set[str] = set()
    for phrase, n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])):
        if n < min_count or len(picked) >= top:
            break
        picked.append((phrase, n))
        covered.update(phrase.split())
    for word, n in sorted(words.items(), key=lambda kv: (-kv[1], kv[0])):
        if n < min_count or len(picked) >= top:
            break
        if word not in covered:
            picked.append((word, n))
    return sorted(picked, key=lambda kv: (-kv[1], kv[0]))
