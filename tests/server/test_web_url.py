"""Remote URLs as the panel shows them: never a credential, and the repository's web page."""

from __future__ import annotations

import pytest

from ilum_singleuser.server.web_url import display_remote, web_url


@pytest.mark.parametrize(
    ("remote", "shown", "page"),
    [
        (
            "http://ilum-gitea-http:3000/ilum-jupyterhub/jupyterhub-jane.git",
            "http://ilum-gitea-http:3000/ilum-jupyterhub/jupyterhub-jane.git",
            "http://ilum-gitea-http:3000/ilum-jupyterhub/jupyterhub-jane",
        ),
        (
            "https://jane:s3cr%40t@gitea.example/org/repo.git/",
            "https://gitea.example/org/repo.git/",
            "https://gitea.example/org/repo",
        ),
        ("https://tok3n@gitea.example/org/repo", "https://gitea.example/org/repo", None),
        ("git@gitea.example:org/repo.git", "gitea.example:org/repo.git", None),
        (
            "ssh://git@gitea.example:2222/org/repo.git",
            "ssh://gitea.example:2222/org/repo.git",
            None,
        ),
        ("http://[::1]:3000/org/repo.git", "http://[::1]:3000/org/repo.git", None),
        ("file:///srv/git/repo.git", "file:///srv/git/repo.git", None),
        ("/srv/git/repo.git", "/srv/git/repo.git", None),
    ],
)
def test_remote_is_shown_without_credentials_and_links_to_its_page(remote, shown, page):
    assert display_remote(remote) == shown
    expected_page = {
        "https://tok3n@gitea.example/org/repo": "https://gitea.example/org/repo",
        "git@gitea.example:org/repo.git": "https://gitea.example/org/repo",
        "ssh://git@gitea.example:2222/org/repo.git": "https://gitea.example/org/repo",
        "http://[::1]:3000/org/repo.git": "http://[::1]:3000/org/repo",
    }.get(remote, page)
    assert web_url(remote) == expected_page
    assert "s3cr" not in (display_remote(remote) or "") + (web_url(remote) or "")


def test_no_remote_has_no_page():
    assert display_remote(None) is None
    assert web_url(None) is None
    assert web_url("http://gitea.example/") is None


@pytest.mark.parametrize(
    "remote",
    [
        "http://someone:p@ss:/#%? word@127.0.0.1:3000/o/r.git",
        "http://someone:p/x@127.0.0.1:3000/o/r.git",
    ],
)
def test_hand_typed_unencoded_password_is_neither_host_nor_port(remote):
    assert web_url(remote) == "http://127.0.0.1:3000/o/r"
    assert display_remote(remote) == "http://127.0.0.1:3000/o/r.git"
