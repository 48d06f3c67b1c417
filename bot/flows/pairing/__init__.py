"""Learning pairs and visit trios: who meets whom each round, whether they met,
and the profile they are matched on.

The modules, lowest first: ``matching`` (the pure rules that form a round's
groups), ``text`` (the words of introductions and follow-ups), ``rounds``
(who takes part; forming, storing and introducing a round), ``met``
("Did you meet?" and re-matching), ``relay`` (messages passed on within a pair), ``follow_up`` (a pair that hasn't met, as a
follow-up source the nudges ask), ``admin`` (the facilitators'
``/beacon pairing …``), ``profile`` (``/beacon profile``) and ``rights`` (the
pairing part of a member's data). Each imports only those before it.
"""

from __future__ import annotations

from bot.core.router import Router
from bot.flows.pairing import admin, follow_up, met, profile, relay, rights, rounds

__all__ = ["register"]


def register(router: Router) -> None:
    profile.register(router)
    router.group(rounds.KIND, "Learning pairs and visit trios: who you're matched with, and re-matching")
    router.schedule(rounds.KIND, rounds.run)
    met.register(router)
    relay.register(router)
    router.personal_data(rounds.KIND, export=rights.export_member, forget=rights.forget_member, words=rights.words_of)
    admin.register(router)
    follow_up.register_follow_up(router)
