"""Fake servers on 127.0.0.1 that the real SDKs and clients talk to."""
