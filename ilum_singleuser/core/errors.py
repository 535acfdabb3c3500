"""Typed errors with stable codes that the state file, the API and the panel can branch on.

``code`` is the one name of a failure everywhere: in the init's state file, in the API's
``{"message", "code"}`` answers (the server's handlers map each code to one HTTP status) and in the
panel. ``str()`` of every error is safe to show and log: it never holds a secret. What a person
should do about a failure depends on who meets it, so hints live with the part that shows them
(the init's state file), not here.
"""

from __future__ import annotations


class IlumError(Exception):
    """Base of every expected failure."""

    code = "error"
    exit_status = 1  # ilum-init --strict


class ConfigError(IlumError):
    code = "configuration"
    exit_status = 2


class AuthError(IlumError):
    code = "authentication"
    exit_status = 3


class WaitTimeout(IlumError):
    code = "timeout"
    exit_status = 4


class GitError(IlumError):
    code = "git"


class WorkspaceError(IlumError):
    code = "workspace"


class NoRepository(IlumError):
    """The workspace is not a git repository (an action that needs one was asked for)."""

    code = "no-repo"


class RateLimited(IlumError):
    """Asked again sooner than allowed; ``retry_after`` seconds until it is allowed."""

    code = "rate-limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NoSession(IlumError):
    """The Livy-proxy does not list the session, or reports it already stopped."""

    code = "no-session"


class NotYours(IlumError):
    """The session belongs to another user: nothing is sent to the Livy-proxy."""

    code = "not-yours"


class LivyUnavailable(IlumError):
    """The Livy-proxy could not be reached or gave no usable answer."""

    code = "livy-unreachable"


class AutosaveOff(IlumError):
    """An autosave was asked for while the ``autosave`` setting is off."""

    code = "autosave-off"
