"""The audience format has one owner: what a flow sends to and what removing a cohort warns about agree."""

from __future__ import annotations

from types import SimpleNamespace

from bot.core.audience import EVERYONE, audience_text, cohort_audience, cohort_of, in_audience, role_audience, targets_cohort
from bot.store.models import Role


def _member(cohort=None, facilitator=False):
    return SimpleNamespace(cohort=cohort, is_facilitator=facilitator, is_coordinator=False)


def test_the_formats_round_trip():
    assert cohort_of(cohort_audience("Wave 2")) == "Wave 2" and cohort_of(EVERYONE) is None and cohort_of(None) is None
    assert role_audience(Role.FACILITATOR) == "role:facilitator"
    assert audience_text(cohort_audience("Wave 2")) == "the cohort Wave 2" and audience_text(role_audience(Role.COORDINATOR)) == "coordinators"


def test_sending_and_the_removal_warning_read_an_audience_the_same_way():
    """Before, "Cohort: Wave 2" went to everyone, while removing the cohort did not warn about it."""
    wave, other, nobody = _member("wave 2"), _member("north"), _member()
    for audience in ("cohort:Wave 2", "Cohort: wave 2 ", "COHORT:WAVE 2"):
        assert targets_cohort(audience, "Wave 2")
        assert [in_audience(m, audience) for m in (wave, other, nobody)] == [True, False, False], audience
    assert not targets_cohort("cohort:", "") and not in_audience(nobody, "cohort:")  # no cohort is not a cohort
    assert in_audience(_member(facilitator=True), "role:facilitator") and not in_audience(wave, "role:facilitator")
    assert in_audience(wave, "role:member") and not in_audience(wave, "role:nonsense") and in_audience(nobody, EVERYONE)
