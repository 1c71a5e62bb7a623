"""Shared fixtures: where the test data is (all of it inside tests/data, see its SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

from tests.skip_guard import pytest_runtest_makereport

__all__ = ["ARCHIVE", "DATA", "FIXTURES", "REPO", "TAXONOMY", "pytest_runtest_makereport"]

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
ARCHIVE = DATA / "archive"
FIXTURES = DATA / "fixtures"
TAXONOMY = DATA / "taxonomy" / "arxiv-taxonomy.json"
