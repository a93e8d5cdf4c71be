"""The recurrent cells pyrovae's encoders and decoders can use, by name."""

from __future__ import annotations

from torch import nn

from pyrovae.errors import ConfigError

RECURRENT_CELLS: dict[str, type[nn.RNNBase]] = {"lstm": nn.LSTM, "gru": nn.GRU}


def recurrent_cell(name: str) -> type[nn.RNNBase]:
    """The ``torch.nn`` recurrent layer class called ``name`` ("lstm" or "gru")."""
    try:
        return RECURRENT_CELLS[name.lower()]
    except KeyError:
        raise ConfigError(
            f"unknown recurrent cell {name!r}: expected one of {sorted(RECURRENT_CELLS)}"
        ) from None
