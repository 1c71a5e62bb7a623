"""The benchmark: a synthetic arXiv-scale store and the figures `hotpapers bench` reports."""
