"""Where papers and attention come from: arXiv metadata and the social platforms."""
