"""The SQLite store (sqlite-utils, migrations, WAL)."""

from bot.store.deliveries import Delivery, DeliveryLog
from bot.store.ranking import Ranked
from bot.store.store import Store

__all__ = ["Delivery", "DeliveryLog", "Ranked", "Store"]
