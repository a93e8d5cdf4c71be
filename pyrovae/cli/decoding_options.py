"""The decoding options shared by ``sample``, ``interpolate`` and ``evaluate``: ``--decode``,
``--top-k``, ``--top-p``, ``--max-length``."""

from __future__ import annotations

import argparse

DECODE_HELP = (
    "how each next token is chosen: greedy (most probable), ancestral (sampled from the model), "
    "top-k (sampled among the --top-k most probable) or nucleus (sampled among the most probable "
    "tokens holding --top-p of the mass); default %(default)s"
)


def add_decoding_options(parser: argparse.ArgumentParser, max_length: int = 40) -> None:
    """Add ``--decode``, ``--top-k``, ``--top-p`` and ``--max-length`` to ``parser``.

    ``--decode`` takes any string, so a wrong name gets pyrovae's one-line error (listing the
    valid ones) from :func:`decoding_strategy` rather than argparse's usage block.
    """
    group = parser.add_argument_group("decoding")
    group.add_argument("--decode", default="greedy", metavar="{greedy,ancestral,top-k,nucleus}", help=DECODE_HELP)
    group.add_argument("--top-k", type=int, default=15, metavar="K", help="tokens kept by top-k decoding (default 15)")
    group.add_argument("--top-p", type=float, default=0.9, metavar="P", help="probability mass kept by nucleus decoding, in (0, 1] (default 0.9)")
    group.add_argument("--max-length", type=int, default=max_length, help=f"most tokens generated per sentence (default {max_length})")


def decoding_strategy(args: argparse.Namespace):
    """The ``choose`` callable the options name (see :mod:`pyrovae.generation.decoding`).

    ``--top-k`` and ``--top-p`` are checked whichever strategy is chosen, so a bad value is never
    silently ignored.

    Raises:
        ConfigError: an unknown strategy, ``--top-k < 1``, ``--top-p`` outside ``(0, 1]`` or
            ``--max-length < 1``.
    """
    from pyrovae.errors import ConfigError
    from pyrovae.generation import Nucleus, TopK, strategy

    if args.max_length < 1:
        raise ConfigError(f"--max-length must be at least 1 token, got {args.max_length}")
    try:
        TopK(args.top_k)
    except ConfigError:
        raise ConfigError(f"--top-k must be an integer >= 1, got {args.top_k}") from None
    try:
        Nucleus(args.top_p)
    except ConfigError:
        raise ConfigError(f"--top-p must be in (0, 1], got {args.top_p}") from None
    return strategy(args.decode, k=args.top_k, p=args.top_p)
