"""``beacon simulate``: a synthetic network played through weeks of every flow on a fake clock.

The modules, lowest first: ``members`` (who the simulated people are, their
rates and words), ``adapter`` (the recording adapter, also the tests'),
``behaviour`` (what members do with their messages), ``report`` (totals and
the final digest) and ``driver`` (the store, the clock and the run).
"""

from __future__ import annotations

from bot.simulation.adapter import Delivered, SimAdapter
from bot.simulation.driver import Simulation, simulate
from bot.simulation.report import Totals

__all__ = ["Delivered", "SimAdapter", "Simulation", "Totals", "simulate"]
