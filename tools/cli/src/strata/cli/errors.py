"""Exit codes a shell script can test, and one clear line per error."""

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    FAILED = 1  # the work itself failed: a document did not convert, a run was cancelled
    USAGE = 2  # bad arguments (typer's own code)
    NOT_LOGGED_IN = 3  # no gateway URL or token: run `strata login`
    REFUSED = 4  # the API refused the request (4xx): its code and message are printed
    UNAVAILABLE = 5  # the gateway did not answer, or answered 5xx
    TIMEOUT = 6  # waited longer than --timeout


class CliError(Exception):
    def __init__(self, exit_code: Exit, code: str, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.code = code
        self.message = message
