"""Typed errors with stable codes that the state file, the API and the panel can branch on."""

from __future__ import annotations


class IlumError(Exception):
    """Base of every expected failure. ``code`` is stable; ``str()`` is safe to show and log."""

    code = "error"
    exit_status = 1
    # ``hint`` speaks to the user (the panel shows it); ``admin_hint`` to whoever runs the
    # platform (the panel marks it as theirs, the init log carries it).
    hint = (
        "Your files are safe. Restart your server from the Hub control panel; if this comes "
        "back, ask your administrator."
    )
    admin_hint = ""


class ConfigError(IlumError):
    code = "configuration"
    exit_status = 2
    hint = (
        "Your files are safe, but your server's set-up has a fault only your administrator can "
        "fix: send them the message above."
    )
    admin_hint = "Check the ILUM_* settings of the init container."


class AuthError(IlumError):
    code = "authentication"
    exit_status = 3
    hint = (
        "Gitea did not accept your server's login, so your work is not synced. Your files are "
        "safe; ask your administrator to renew your Gitea access."
    )
    admin_hint = (
        "Check the git credentials: the Gitea token the hub mints for each user at spawn (the "
        "hub log says why it could not), or ILUM_GIT_USERNAME/ILUM_GIT_PASSWORD, or the "
        "Secret mounted at ILUM_GIT_CREDENTIALS_DIR."
    )


class WaitTimeout(IlumError):
    code = "timeout"
    exit_status = 4
    hint = (
        "Your repository was not ready in time. Your files are safe; restart your server from "
        "the Hub control panel in a few minutes."
    )
    admin_hint = (
        "The repository did not appear in time: check that Gitea is up and that the Gitea "
        "operator created the user's repository, then restart the server."
    )


class GitError(IlumError):
    code = "git"
    admin_hint = "See the init container's log for the failing git step."


class WorkspaceError(IlumError):
    code = "workspace"
    hint = (
        "Your files were left exactly as they are. Ask your administrator to look at your "
        "workspace."
    )
    admin_hint = "The workspace is in a state ilum-init will not change by itself."
