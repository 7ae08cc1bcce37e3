"""Strata's public interface between services: message models, domain models and routing names.

Nothing here does I/O. Services and external integrations import this package and nothing else
from each other.
"""
