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
    "curves": "pyrovae.cli.curves",
    "latents": "pyrovae.cli.latents",
    "analyse": "pyrovae.cli.analyse",
}


class LazyHelpParser(argparse.ArgumentParser):
    """An argument parser whose description is computed only when help is printed.

    ``description_factory`` builds the text (e.g. the list of registered objectives, which needs
    torch and Pyro), so parsing arguments and ``pyrovae --help`` stay free of heavy imports.
    """

    def __init__(self, *args, description_factory=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._description_factory = description_factory

    def format_help(self) -> str:
        if self._description_factory is not None:
            self.description, self._description_factory = self._description_factory(), None
        return super().format_help()


def build_parser() -> argparse.ArgumentParser:
    from importlib import import_module

    parser = LazyHelpParser(
        prog="pyrovae",
        description="Variational autoencoders of text as Pyro programs. "
        "Figures are in nats per sentence unless a unit says otherwise.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=LazyHelpParser)
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
