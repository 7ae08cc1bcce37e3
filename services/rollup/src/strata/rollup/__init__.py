"""Strata rollup service."""
