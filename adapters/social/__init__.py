"""Posting digest threads to X, Bluesky and Mastodon (publishers, config, mention answering)."""
