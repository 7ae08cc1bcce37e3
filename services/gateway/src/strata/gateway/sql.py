"""The gateway's SQL, loaded once by name from queries.sql."""

from pathlib import Path

from strata.runtime.db import Queries

Q = Queries.load(Path(__file__).with_name("queries.sql"))
