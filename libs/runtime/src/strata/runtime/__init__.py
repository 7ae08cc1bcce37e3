"""Plumbing every Strata service shares. No domain logic lives here."""
