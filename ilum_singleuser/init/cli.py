"""``ilum-init``: the init container command. Parses flags and hands over to the runner."""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..core.errors import ConfigError
from ..core.ownership import default_owner, parse_owner
from ..core.settings import INIT_FLAGS, load_config
from .runner import record_config_error, run_init

EPILOG = """\
Secrets (ILUM_GIT_PASSWORD, ILUM_LIVY_PASSWORD) have no flag: a command line is visible to
every process in the pod. Set them in the environment or mount the ilum-git-credentials Secret
and point ILUM_GIT_CREDENTIALS_DIR at it.

Exit status is 0 even when the init fails, so a Git outage never keeps the notebook server
from starting; the failure is recorded in the state file
(<workspace>/.local/state/ilum/init.json) and shown in the Ilum panel. With --strict:
2 configuration, 3 authentication, 4 timeout, 1 any other failure.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ilum-init",
        description="Prepare the user's workspace: clone the personal repository, add the "
        "starter templates once, configure git and sparkmagic. Safe to run on every start.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for setting in INIT_FLAGS:
        # Values stay text here: load_config parses them, so that a bad value is recorded in
        # the state file like a bad environment variable, not just printed by argparse.
        parser.add_argument(
            setting.flag,
            dest=setting.name,
            metavar=setting.name.rsplit("_", 1)[-1].upper(),
            help=setting.usage(),
        )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit non-zero on failure (2 configuration, 3 authentication, 4 timeout, 1 other)",
    )
    parser.add_argument(
        "--chown",
        metavar="UID:GID",
        help="give created files to this owner (default when run as root: $NB_UID:$NB_GID, "
        "1000:100)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides = {s.name: getattr(args, s.name) for s in INIT_FLAGS}
    try:
        config = load_config(overrides)
        owner = parse_owner(args.chown) if args.chown else default_owner()
    except (ConfigError, ValueError) as exc:
        sys.stderr.write(f"ilum-init: configuration error: {exc}\n")
        record_config_error(ConfigError(str(exc)), args.workspace, args.state_dir)
        return ConfigError.exit_status if args.strict else 0
    return run_init(config, strict=args.strict, owner=owner)


if __name__ == "__main__":
    sys.exit(main())
