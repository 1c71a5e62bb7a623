"""Attention sources: X, Bluesky, Mastodon, Hacker News and Hugging Face daily papers."""

SOURCE_NAMES = ("twitter", "bluesky", "mastodon", "hackernews", "huggingface")
