"""The Jupyter server extension: settings as traitlets, one services object, the REST routes.

Every traitlet is derived from the settings table (:class:`ilum_singleuser.core.settings.Config`):
its type, default and help are the table's, and a shared setting left unset reads its ``ILUM_*``
environment variable when first used (:mod:`.setting_traits`). Secrets are not traitlets: they
are read from the environment or the mounted Secret when used.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.extension.application import ExtensionApp

from ..core.errors import ConfigError
from ..core.settings import SERVER_TRAITS, load_config
from .handlers import ROUTES
from .services import IlumServices
from .setting_traits import setting_trait


class IlumExtension(ExtensionApp):
    """REST API under ``{base_url}ilum/api/``: repository sync state, Spark sessions, init state."""

    name = "ilum_singleuser"

    # Shared with ilum-init (flag and ILUM_* variable of the same name).
    user = setting_trait("user")
    git_url = setting_trait("git_url")
    git_org = setting_trait("git_org")
    git_repo_url = setting_trait("git_repo_url")
    git_branch = setting_trait("git_branch")
    git_username = setting_trait("git_username")
    git_credentials_dir = setting_trait("git_credentials_dir")
    user_fullname = setting_trait("user_fullname")
    user_email = setting_trait("user_email")
    git_email = setting_trait("git_email")
    templates_dir = setting_trait("templates_dir")
    workspace = setting_trait("workspace")
    init_timeout = setting_trait("init_timeout")
    livy_url = setting_trait("livy_url")
    livy_auth = setting_trait("livy_auth")
    livy_username = setting_trait("livy_username")
    state_dir = setting_trait("state_dir")
    autosave = setting_trait("autosave")

    # Autosave snapshots.
    autosave_interval = setting_trait("autosave_interval")
    autosave_stop_timeout = setting_trait("autosave_stop_timeout")
    autosave_max_file_mb = setting_trait("autosave_max_file_mb")
    autosave_exclude = setting_trait("autosave_exclude")

    # The extension's own knobs.
    repo_cache_ttl = setting_trait("repo_cache_ttl")
    git_status_timeout = setting_trait("git_status_timeout")
    changes_cap = setting_trait("changes_cap")
    fetch_timeout = setting_trait("fetch_timeout")
    fetch_min_interval = setting_trait("fetch_min_interval")
    spark_cache_ttl = setting_trait("spark_cache_ttl")
    livy_connect_timeout = setting_trait("livy_connect_timeout")
    livy_timeout = setting_trait("livy_timeout")
    livy_page_size = setting_trait("livy_page_size")
    spark_owner_conf_key = setting_trait("spark_owner_conf_key")
    status_part_wait = setting_trait("status_part_wait")

    services: IlumServices | None = None
    config_error: str | None = None

    def initialize_settings(self) -> None:
        try:
            config = load_config({s.name: getattr(self, s.name) for s in SERVER_TRAITS})
        except ConfigError as exc:
            # The server still starts; the API answers 503 with this message.
            self.config_error = str(exc)
            self.log.error("ilum_singleuser: %s", exc)
            return
        self.services = IlumServices(config)
        self.log.info(
            "ilum_singleuser: workspace %s, Livy-proxy %s",
            config.workspace,
            self.services.livy_client().endpoint,
        )

    def initialize_handlers(self) -> None:
        self.handlers.extend(ROUTES)

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        if self.services is not None:
            self.services.autosave.start()

    async def stop_extension(self) -> None:
        # Awaited by the server's shutdown (SIGTERM from a cull or a pod deletion).
        if self.services is not None:
            await self.services.autosave.stop()
