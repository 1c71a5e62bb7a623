"""The migration machinery: sqlite-utils Migrations, registered lazily (bot/store/schema.py and
bot/store/schema_2026.py hold the migrations themselves, in order)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

MIGRATIONS_TABLE = "_sqlite_migrations"  # sqlite-utils' own bookkeeping table


class LazyMigrations:
    """sqlite-utils Migrations, registered the same way (`@migrations()`), imported only when a
    migration is pending: sqlite-utils costs ~80 ms of start-up that `hotpapers ask` on an
    up-to-date database does not need."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.registered: list[tuple[str, Callable[[Any], None], bool]] = []

    def __call__(
        self, *, name: str | None = None, transactional: bool = True
    ) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
        def inner(func: Callable[[Any], None]) -> Callable[[Any], None]:
            self.registered.append((name or func.__name__, func, transactional))
            return func

        return inner

    def pending(self, conn: sqlite3.Connection) -> list[str]:
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)
        ).fetchone()
        applied: set[str] = set()
        if exists:
            applied = {
                r[0]
                for r in conn.execute(
                    f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ?", (self.name,)
                )
            }
        return [n for n, _, _ in self.registered if n not in applied]

    def apply(self, conn: sqlite3.Connection) -> None:
        if not self.pending(conn):
            return
        from sqlite_utils import Database
        from sqlite_utils.migrations import Migrations

        real = Migrations(self.name)
        for name, func, transactional in self.registered:
            real(name=name, transactional=transactional)(func)
        real.apply(Database(conn))


migrations = LazyMigrations("hotpapers")
