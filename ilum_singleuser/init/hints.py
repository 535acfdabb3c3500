"""What a person should do about a failed ``ilum-init``, by error code, as the panel shows it.

``hint`` speaks to the user (the panel shows it); ``admin_hint`` to whoever runs the platform
(the panel marks it as theirs, the init log carries it). They live here, not on the error
classes, because the same error met by the server extension calls for other words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hint:
    user: str
    admin: str = ""


DEFAULT = Hint(
    "Your files are safe. Restart your server from the Hub control panel; if this comes back, "
    "ask your administrator."
)

HINTS = {
    "configuration": Hint(
        "Your files are safe, but your server's set-up has a fault only your administrator can "
        "fix: send them the message above.",
        "Check the ILUM_* settings of the init container.",
    ),
    "authentication": Hint(
        "Gitea did not accept your server's login, so your work is not synced. Your files are "
        "safe; ask your administrator to renew your Gitea access.",
        "Check the git credentials: the Gitea token the hub mints for each user at spawn (the "
        "hub log says why it could not), or ILUM_GIT_USERNAME/ILUM_GIT_PASSWORD, or the "
        "Secret mounted at ILUM_GIT_CREDENTIALS_DIR.",
    ),
    "timeout": Hint(
        "Your repository was not ready in time. Your files are safe; restart your server from "
        "the Hub control panel in a few minutes.",
        "The repository did not appear in time: check that Gitea is up and that the Gitea "
        "operator created the user's repository, then restart the server.",
    ),
    "git": Hint(DEFAULT.user, "See the init container's log for the failing git step."),
    "workspace": Hint(
        "Your files were left exactly as they are. Ask your administrator to look at your "
        "workspace.",
        "The workspace is in a state ilum-init will not change by itself.",
    ),
}


def hint_for(code: str) -> Hint:
    return HINTS.get(code, DEFAULT)
