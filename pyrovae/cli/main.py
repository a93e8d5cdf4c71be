"""``pyrovae``: the command line. Heavy libraries are imported inside each command."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

COMMANDS = {
    "fit": "pyrovae.cli.fit",
    "evaluate": "pyrovae.cli.evaluate",
    "sample": "pyrovae.cli.sample",
    "interpolate": "pyrovae.cli.interpolate",
    "diagnose": "pyrovae.cli.diagnose",
    "compare": "pyrovae.cli.compare",
    "latents": "pyrovae.cli.latents",
    "analyse": "pyrovae.cli.analyse",
}


def build_parser() -> argparse.ArgumentParser:
    from importlib import import_module

    parser = argparse.ArgumentParser(
        prog="pyrovae",
        description="Variational autoencoders of text as Pyro programs. "
        "Figures are in nats per sentence unless a unit says otherwise.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        import_module(module).add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; user errors print one line and exit with status 2, no traceback."""
    from pyrovae.errors import PyrovaeError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except PyrovaeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the last checkpoint is kept; continue with --resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
