"""Strata ingest service."""
