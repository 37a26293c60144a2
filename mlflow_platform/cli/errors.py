"""Domain errors of the CLI, each with the exit code scripts can rely on."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented exit codes (docs/cli.md)."""

    OK = 0
    ERROR = 1  # AWS or unexpected error (access denied, network, ...)
    USAGE = 2  # bad arguments, invalid parameters or configuration (region, credentials)
    NOT_FOUND = 3  # product, version, provisioned product or deployment not found
    FAILED = 4  # provisioning, update or termination failed (or the product is in ERROR)
    ABORTED = 5  # a confirmation was declined or not given (use --yes in scripts)
    TIMEOUT = 6  # gave up waiting; the change continues in AWS
    INTERRUPTED = 130  # Ctrl-C


class CliError(Exception):
    """An error the CLI reports as one clear message (plus an optional hint) and exit code."""

    exit_code: ExitCode = ExitCode.ERROR
    kind: str = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def with_hint(self, hint: str) -> CliError:
        self.hint = f"{self.hint}\n{hint}" if self.hint else hint
        return self


class ValidationError(CliError):
    exit_code = ExitCode.USAGE
    kind = "validation"

    def __init__(self, message: str, *, problems: list[str] | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems or []


class NotFoundError(CliError):
    exit_code = ExitCode.NOT_FOUND
    kind = "not_found"


class ProvisioningFailed(CliError):
    exit_code = ExitCode.FAILED
    kind = "failed"

    def __init__(self, message: str, *, reasons: list[str] | None = None,
                 record_id: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reasons = reasons or []
        self.record_id = record_id


class Aborted(CliError):
    exit_code = ExitCode.ABORTED
    kind = "aborted"


class WaitTimeout(CliError):
    exit_code = ExitCode.TIMEOUT
    kind = "timeout"


class Interrupted(CliError):
    exit_code = ExitCode.INTERRUPTED
    kind = "interrupted"


class ChangeInProgress(CliError):
    """The product is UNDER_CHANGE: Service Catalog refuses another change until it ends.

    No exit code of its own (scripts already treat 1 as "try again later or look"); the
    message names the record to follow."""

    exit_code = ExitCode.ERROR
    kind = "change_in_progress"
