"""Strata export service."""
