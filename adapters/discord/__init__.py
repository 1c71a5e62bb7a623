"""The Discord adapter: slash commands, mentions, digests as embeds with threads (discord.py)."""
