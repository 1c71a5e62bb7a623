"""In CI, a test skipped for a missing file is a failure.

The suite carries every file it reads in tests/data, so a skip for a missing file means a file was
left out of the repository, and the tests it guards would silently stop running on a clone. When the
CI environment variable is set (`.ci/run` sets it), such a skip turns into a failure naming the
reason; elsewhere it stays a skip, reported by `-rs`. Other skips, which say why in their marker,
are untouched. Loaded by tests/conftest.py, or with `-p tests.skip_guard`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator

import pytest
from pluggy import Result

# Reasons that mean "a file (or a folder of them) is not there". An empty parameter set is what a
# parametrize over a glob of a missing folder becomes.
MISSING_FILE = re.compile(
    r"\.\./shared|not beside|no such file|not found|does not exist|"
    r"is missing|missing (?:file|folder|directory|data|fixture)|is not here|"
    r"got empty parameter set",
    re.IGNORECASE,
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def is_missing_file_skip(reason: str) -> bool:
    return MISSING_FILE.search(reason) is not None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail") or not in_ci():
        return
    reason = skip_reason(report)
    if is_missing_file_skip(reason):
        report.outcome = "failed"
        report.longrepr = (
            f"skipped for a missing file, which CI does not allow (tests/data must hold every "
            f"file a test reads; see tests/data/SOURCES.md): {reason}"
        )
