"""Who a flow's ``audience`` setting reaches: ``everyone``, ``cohort:<name>`` or
``role:<role>`` (persisted in flow settings, so the format is a contract).

One owner for the format: the reflection flow sends by it, and removing a
cohort asks it which flows would be left sending to nobody.
"""

from __future__ import annotations

from bot.store.models import Role, permits, roles_of

__all__ = ["EVERYONE", "audience_text", "cohort_audience", "cohort_of", "in_audience", "role_audience", "targets_cohort"]

EVERYONE = "everyone"


def cohort_audience(name: str) -> str:
    return f"cohort:{name}"


def role_audience(role: Role) -> str:
    return f"role:{role.value}"


def _split(audience: str | None) -> tuple[str, str]:
    kind, _, value = (audience or EVERYONE).partition(":")
    return kind.strip().lower(), value.strip()


def cohort_of(audience: str | None) -> str | None:
    """The cohort a ``cohort:<name>`` audience names, else None."""
    kind, value = _split(audience)
    return value if kind == "cohort" else None


def targets_cohort(audience: str | None, name: str) -> bool:
    """Whether this audience is the cohort ``name`` (cohort names compare without case)."""
    cohort = cohort_of(audience)
    return bool(cohort) and cohort.lower() == name.strip().lower()


def in_audience(member, audience: str | None) -> bool:
    """Whether ``member`` (a Member or a row with its cohort and role columns) is in the
    audience; ``role:member`` is everyone, an unknown role no one."""
    kind, value = _split(audience)
    if kind == "cohort":
        return targets_cohort(audience, member.cohort or "")
    if kind == "role":
        try:
            return permits(roles_of(member), Role(value.lower()))
        except ValueError:
            return False
    return True


def audience_text(audience: str | None) -> str:
    """The audience in words: "the cohort North", "facilitators", "everyone"."""
    kind, value = _split(audience)
    return {"cohort": f"the cohort {value}", "role": f"{value}s"}.get(kind, "everyone")
