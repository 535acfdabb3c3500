"""Reads are not activity, actions are: the idle culler must be able to stop a polled server.

jupyter_server counts every authenticated API request in ``api_last_activity`` (which
jupyterhub-singleuser reports to the hub); tests/hub checks the same through a real hub."""

from __future__ import annotations

from .test_auth import concrete_path, implemented_methods, registered_routes


async def test_get_routes_leave_the_last_activity_and_actions_move_it(jp_serverapp, jp_fetch):
    settings = jp_serverapp.web_app.settings
    tried = set()
    for pattern, handler in registered_routes(jp_serverapp.web_app):
        path = concrete_path(pattern).split("/ilum/api/", 1)[1]
        for method in implemented_methods(handler):
            # Given a known last activity
            settings["api_last_activity"] = before = jp_serverapp.web_app.last_activity()

            # When the route is called with the user's token
            await jp_fetch(
                "ilum",
                "api",
                *path.split("/"),
                method=method,
                raise_error=False,
                **({"body": b""} if method == "POST" else {}),
            )

            # Then only POST and DELETE (even when refused: the user did act) moved it
            moved = settings["api_last_activity"] > before
            assert moved == (method != "GET"), (method, path)
            tried.add(method)
    assert tried == {"GET", "POST", "DELETE"}
