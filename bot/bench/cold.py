"""The cold start measured as an installed hotpapers starts: from bytecode.

An installed package (pip compiles it) or any earlier run (Python writes `__pycache__`) starts
from `.pyc` files. A checkout run with PYTHONDONTWRITEBYTECODE=1 recompiles every module it
imports on every start instead (about 70 ms for `hotpapers ask` here), which measures the
compiler, not hotpapers' start. `compile_bytecode` writes the `.pyc` files once, beside the
sources, as `pip install` does; Python still checks them against each source file's mtime.
"""

from __future__ import annotations

import compileall
from pathlib import Path


def compile_bytecode(root: Path) -> bool:
    """Compile bot/ and adapters/ under `root` (only stale or missing .pyc); False on a failure."""
    ok = True
    for package in ("bot", "adapters"):
        folder = root / package
        if folder.is_dir():
            ok = bool(compileall.compile_dir(str(folder), quiet=2)) and ok
    return ok
