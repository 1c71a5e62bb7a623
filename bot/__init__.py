"""hotpapers: the arXiv papers people are talking about, ranked and posted to chat."""

__version__ = "0.1.0"
