"""``python -m crawler.cli``: the same as ``thepaper-archive``."""

import sys

from crawler.cli import program

sys.exit(program())
