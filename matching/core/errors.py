"""Domain exceptions. The portal maps them to HTTP responses in one place; the CLI to exit codes."""

from __future__ import annotations

from collections.abc import Iterable


class JobbroError(Exception):
    """Base class of every error Jobbro raises on purpose."""


class ConfigError(JobbroError):
    """Invalid or missing settings. Carries every problem found, each naming its variable."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))

    def __str__(self) -> str:
        return "Invalid configuration: " + "; ".join(self.problems)


class ServiceUnavailable(JobbroError):
    """A backing service (database, Redis) cannot be reached."""


class NotFound(JobbroError):
    """The object does not exist, or the acting user may not know that it does."""


class OutOfScope(NotFound):
    """An object the actor may not see (or that does not exist): shown as "not found"."""

    def __init__(
        self,
        object_type: str,
        object_id: int | str,
        *,
        exists: bool,
        jobseeker_id: int | None = None,
    ) -> None:
        self.object_type = object_type
        self.object_id = object_id
        self.exists = exists
        self.jobseeker_id = jobseeker_id
        super().__init__(f"{object_type} {object_id} not found or outside the actor's scope")


class PermissionDenied(JobbroError):
    """The acting user may not do this."""


class ValidationError(JobbroError):
    """Input that breaks a domain rule. ``errors`` maps field names to Danish messages."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = {"": errors} if isinstance(errors, str) else dict(errors)
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in self.errors.items()))


class InvalidTransition(JobbroError):
    """A state machine was asked for a transition its table does not allow."""

    def __init__(self, machine: str, state: str, event: str) -> None:
        self.machine, self.state, self.event = machine, state, event
        super().__init__(f"{machine}: cannot {event!r} from state {state!r}")


class ImportFormatError(JobbroError):
    """An imported file is not in a format Jobbro understands. Nothing was written."""
