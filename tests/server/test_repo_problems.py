"""git's failure texts mapped to the problem codes the panel words for people."""

from __future__ import annotations

import pytest

from ilum_singleuser.core.git import GitCommandError
from ilum_singleuser.server.repo_problems import classify

STATUS = ["status", "--porcelain=v2"]


@pytest.mark.parametrize(
    ("stderr", "code"),
    [
        ("error: bad signature 0x00000000\nfatal: index file corrupt\n", "index-corrupt"),
        ("fatal: index file smaller than expected\n", "index-corrupt"),
        (
            "fatal: detected dubious ownership in repository at '/home/jovyan'\n"
            "To add an exception for this directory, call:\n",
            "dubious-ownership",
        ),
        ("fatal: not a git repository: /nonexistent/repo.git\n", "not-a-repo"),
        ("fatal: unable to read tree 0123456\n", "git"),
        ("", "git"),
    ],
)
def test_git_failures_get_their_code(stderr: str, code: str):
    assert classify(GitCommandError(STATUS, 128, stderr)) == code


def test_a_timeout_is_a_timeout_whatever_git_printed():
    assert classify(GitCommandError(STATUS, None, "")) == "timeout"
