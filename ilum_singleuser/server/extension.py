"""The Jupyter server extension: settings as traitlets, one services object, the REST routes.

Shared settings (``livy_url``, ``workspace``, ``user``, ...) are generated from
:data:`ilum_singleuser.core.settings.SETTINGS`, so the traitlet, the ``ilum-init`` flag and the
environment variable are one setting. Left unset, a traitlet falls back to its ``ILUM_*``
environment variable and then to the documented default (:func:`load_config`). Secrets are not
traitlets: they are read from the environment or the mounted Secret when used.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import CUnicode, Float, HasTraits, Int, TraitType, Unicode

from ..core.errors import ConfigError
from ..core.settings import SETTINGS, load_config
from .handlers import ROUTES
from .services import IlumServices, Tuning


def _shared_setting_traits() -> dict[str, TraitType[Any, Any]]:
    # CUnicode: a number or a Path in a config file is taken as its text; load_config parses it.
    return {
        s.attr: CUnicode(
            None, allow_none=True, help=f"{s.help} Unset: ${s.env}, then the default."
        ).tag(config=True)
        for s in SETTINGS
        if not s.secret
    }


# A base class built from the settings table (traitlets collects traits when a class is made).
IlumSharedSettings = type("IlumSharedSettings", (HasTraits,), _shared_setting_traits())


class IlumExtension(IlumSharedSettings, ExtensionApp):  # type: ignore[valid-type,misc]
    """REST API under ``{base_url}ilum/api/``: repository sync state, Spark sessions, init state."""

    name = "ilum_singleuser"

    repo_cache_ttl = Float(
        2.0, help="Seconds a repository status is served to further polls before git runs again."
    ).tag(config=True)
    git_status_timeout = Float(
        10.0, help="Seconds before a git status run is abandoned (state 'error')."
    ).tag(config=True)
    changes_cap = Int(
        100, help="Most changed paths listed in a repository status (the counts stay exact)."
    ).tag(config=True)
    fetch_timeout = Float(60.0, help="Seconds before 'POST repo/fetch' gives up.").tag(config=True)
    fetch_min_interval = Float(
        10.0, help="Rate limit of 'POST repo/fetch': seconds between two fetches."
    ).tag(config=True)
    spark_cache_ttl = Float(
        2.0, help="Seconds a Livy session list serves further polls (one request per interval)."
    ).tag(config=True)
    livy_connect_timeout = Float(3.0, help="Seconds to connect to the Livy-proxy.").tag(config=True)
    livy_timeout = Float(
        5.0, help="Seconds for a whole Livy answer (all pages of GET /sessions, or a DELETE)."
    ).tag(config=True)
    livy_page_size = Int(100, help="Sessions asked for per GET /sessions page.").tag(config=True)
    spark_owner_conf_key = Unicode(
        "",
        help="Spark configuration key that names a session's user, for proxies that do not set "
        "Livy's owner/proxyUser (empty: owner and proxyUser only).",
    ).tag(config=True)

    status_part_wait = Float(
        1.0,
        help="Seconds 'GET status' waits for each part (repository, Spark) before serving that "
        "part's last answer, marked stale, while the slow part finishes in the background.",
    ).tag(config=True)

    services: IlumServices | None = None
    config_error: str | None = None

    def initialize_settings(self) -> None:
        overrides = {s.attr: getattr(self, s.attr) for s in SETTINGS if not s.secret}
        try:
            config = load_config(overrides)
        except ConfigError as exc:
            # The server still starts; the API answers 503 with this message.
            self.config_error = str(exc)
            self.log.error("ilum_singleuser: %s", exc)
            return
        self.services = IlumServices(
            config,
            Tuning(
                repo_cache_ttl=self.repo_cache_ttl,
                git_status_timeout=self.git_status_timeout,
                changes_cap=self.changes_cap,
                fetch_timeout=self.fetch_timeout,
                fetch_min_interval=self.fetch_min_interval,
                spark_cache_ttl=self.spark_cache_ttl,
                livy_connect_timeout=self.livy_connect_timeout,
                livy_timeout=self.livy_timeout,
                livy_page_size=self.livy_page_size,
                spark_owner_conf_key=self.spark_owner_conf_key,
                status_part_wait=self.status_part_wait,
            ),
        )
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
