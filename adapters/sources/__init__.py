"""Attention sources that need a platform SDK (tweepy, atproto, Mastodon.py), loaded by name."""
