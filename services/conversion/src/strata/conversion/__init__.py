"""Strata conversion service."""
