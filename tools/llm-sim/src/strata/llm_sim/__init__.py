"""Anthropic-compatible Messages API simulator used by Strata tests and benchmarks.

Everything it answers is a pure function of the request (see README.md), so test
expectations can be computed instead of recorded.
"""

from strata.llm_sim.app import create_app
from strata.llm_sim.settings import Settings

__all__ = ["Settings", "create_app"]
