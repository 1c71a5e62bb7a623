"""The bot on the web: server-rendered digest pages, Atom feeds and a JSON API (read-only)."""
