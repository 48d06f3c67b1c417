"""Harnesses and fixtures the tests share."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The project's root: where config/, docs/ and pyproject.toml are."""
