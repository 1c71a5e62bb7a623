"""Renderers: a Digest as text, markdown, JSON and platform payloads."""
