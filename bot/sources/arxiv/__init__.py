"""arXiv ingestion: RSS listings, API lookups and OAI-PMH backfill behind one polite limiter."""
