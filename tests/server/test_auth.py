"""Every route refuses anonymous requests; POST and DELETE need the XSRF token with a cookie."""

from __future__ import annotations

import json
import re
from http.cookies import SimpleCookie
from typing import ClassVar

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import AsyncHTTPClient
from tornado.web import RequestHandler

from ilum_singleuser.server.handlers import IlumHandler

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def registered_routes(web_app) -> list[tuple[str, type[IlumHandler]]]:
    """(URL pattern, handler class) of every rule the server really routes to an ilum handler."""
    found = []

    def walk(rules) -> None:
        for rule in rules:
            target = rule.target
            if hasattr(target, "rules"):
                walk(target.rules)
            elif isinstance(target, type) and issubclass(target, IlumHandler):
                found.append((rule.matcher.regex.pattern, target))

    walk(web_app.default_router.rules)
    walk(web_app.wildcard_router.rules)
    return found


def implemented_methods(handler: type[IlumHandler]) -> list[str]:
    return [
        m for m in METHODS if getattr(handler, m.lower()) is not getattr(RequestHandler, m.lower())
    ]


def concrete_path(pattern: str) -> str:
    return re.sub(r"\(\?P<\w+>[^)]*\)", "7", pattern).rstrip("$")


def test_the_routes_found_are_the_extension_api(jp_serverapp):
    routes = registered_routes(jp_serverapp.web_app)
    paths = {concrete_path(p) for p, _ in routes}
    assert len(routes) == 7
    assert all("/ilum/api/" in p for p in paths)


async def test_every_route_refuses_anonymous_requests(jp_serverapp, http_server, jp_http_port):
    routes = registered_routes(jp_serverapp.web_app)
    client = AsyncHTTPClient()
    tried = 0
    for pattern, handler in routes:
        for method in implemented_methods(handler):
            response = await client.fetch(
                f"http://127.0.0.1:{jp_http_port}{concrete_path(pattern)}",
                method=method,
                body=b"" if method in {"POST", "PUT", "PATCH"} else None,
                follow_redirects=False,
                raise_error=False,
            )
            assert response.code == 403, (method, pattern, response.code)
            assert json.loads(response.body)["code"] == "forbidden"
            tried += 1
    assert tried == 8


def cookies(response) -> dict[str, str]:
    jar = SimpleCookie()
    for header in response.headers.get_list("Set-Cookie"):
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "repo/fetch"), ("DELETE", "spark/sessions/1"), ("POST", "autosave")],
)
async def test_cookie_session_needs_xsrf_for_changes(jp_fetch, jp_base_url, method, path):
    login = cookies(await jp_fetch("ilum", "api", "init"))
    assert any(name.startswith("username-") for name in login)
    xsrf = cookies(await jp_fetch("login", headers={"Authorization": ""}))["_xsrf"]
    cookie = "; ".join(f"{k}={v}" for k, v in {**login, "_xsrf": xsrf}.items())
    parts = ("ilum", "api", *path.split("/"))
    body = b"" if method == "POST" else None

    without = await jp_fetch(
        *parts,
        method=method,
        body=body,
        headers={"Cookie": cookie, "Authorization": ""},
        raise_error=False,
    )
    assert without.code == 403

    with_token = await jp_fetch(
        *parts,
        method=method,
        body=body,
        headers={"Cookie": cookie, "Authorization": "", "X-XSRFToken": xsrf},
        raise_error=False,
    )
    assert with_token.code not in {401, 403}


class DenySpark(Authorizer):
    """Allows everything except the Spark resource, to show each route names its own."""

    def is_authorized(self, handler, user, action, resource) -> bool:
        self.asked.append((action, resource))
        return resource != "ilum:spark"

    asked: ClassVar[list[tuple[str, str]]] = []


@pytest.fixture
def deny_spark(jp_server_config):
    DenySpark.asked = []
    jp_server_config["ServerApp"]["authorizer_class"] = DenySpark


async def test_routes_are_authorised_per_ilum_resource(deny_spark, api):
    assert (await api("GET", "spark/sessions"))[0] == 403
    assert (await api("DELETE", "spark/sessions/3"))[0] == 403
    assert (await api("GET", "repo"))[0] == 200
    assert (await api("GET", "init"))[0] == 200
    assert (await api("GET", "status"))[0] == 200
    ilum = [a for a in DenySpark.asked if a[1].startswith("ilum")]
    assert ilum == [
        ("read", "ilum:spark"),
        ("write", "ilum:spark"),
        ("read", "ilum:repo"),
        ("read", "ilum:init"),
        ("read", "ilum:status"),
    ]
