"""`strata`: the command line over the HTTP API (`strata --help`)."""
