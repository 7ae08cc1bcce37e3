"""Strata worker service."""
