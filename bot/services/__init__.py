"""Use cases on ports: the engine, periods, subscriptions, delivery, ingest, import."""
