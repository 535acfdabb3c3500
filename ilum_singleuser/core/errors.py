"""Typed errors with stable codes that the state file, the API and the panel can branch on."""

from __future__ import annotations


class IlumError(Exception):
    """Base of every expected failure. ``code`` is stable; ``str()`` is safe to show and log."""

    code = "error"
    exit_status = 1
    hint = ""


class ConfigError(IlumError):
    code = "configuration"
    exit_status = 2
    hint = "Check the ILUM_* settings of the init container."


class AuthError(IlumError):
    code = "authentication"
    exit_status = 3
    hint = (
        "Check the git credentials: the Gitea token the hub mints for each user at spawn (the "
        "hub log says why it could not), or ILUM_GIT_USERNAME/ILUM_GIT_PASSWORD, or the "
        "Secret mounted at ILUM_GIT_CREDENTIALS_DIR."
    )


class WaitTimeout(IlumError):
    code = "timeout"
    exit_status = 4
    hint = (
        "The repository did not appear in time: check that Gitea is up and that the Gitea "
        "operator created the user's repository, then restart the server."
    )


class GitError(IlumError):
    code = "git"
    hint = "See the init log for the failing git step."


class WorkspaceError(IlumError):
    code = "workspace"
    hint = "The workspace is in a state ilum-init will not change by itself."
