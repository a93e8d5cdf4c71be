"""Recurrent language-model decoder conditioned on a latent code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from pyrovae.nn.cells import recurrent_cell
from pyrovae.nn.decoder import Decoder
from pyrovae.nn.injection import (
    InitialStateInjection,
    InputConcatInjection,
    RecurrentInjection,
)
from pyrovae.nn.word_dropout import WordDropout


@dataclass
class RecurrentState:
    """The incremental state of a :class:`RecurrentDecoder`: the codes and the RNN's hidden state.

    Attributes:
        z: ``[N, D]`` codes (None for a language model).
        hidden: the RNN's ``h`` (GRU) or ``(h, c)`` (LSTM), each ``[layers, N, H]``; None before
            the first input when no injection sets it.
    """

    z: torch.Tensor | None
    hidden: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None


class RecurrentDecoder(Decoder):
    """An LSTM/GRU decoder ``p(x | z) = prod_t p(x_t | x_<t, z)``.

    ``z`` enters through ``injections`` (:mod:`pyrovae.nn.injection`): by default, as in He et al.
    2019 (arXiv:1901.05534), both through the initial state (Bowman et al. 2016, arXiv:1511.06349)
    and by concatenation with every input embedding; pass a list to choose (an empty one: the
    decoder ignores ``z``). With ``latent_dim=0`` the decoder is a plain language model.

    ``forward(inputs [B, T], z [..., B, D]) -> logits [..., B, T, V]``: any leading sample
    dimensions of ``z`` (particles, importance samples) are carried through to the logits.
    """

    def __init__(
        self,
        vocab_size: int,
        latent_dim: int,
        embed_dim: int = 256,
        hidden_dim: int = 256,
        num_layers: int = 1,
        cell: str = "lstm",
        injections: Sequence[RecurrentInjection] | None = None,
        dropout: float = 0.0,
        word_dropout: float = 0.0,
        pad_id: int = 0,
        unk_id: int | None = 1,
    ) -> None:
        super().__init__(vocab_size, latent_dim)
        rnn_class = recurrent_cell(cell)
        if injections is None:
            injections = [] if latent_dim == 0 else [
                InitialStateInjection(latent_dim, hidden_dim, num_layers, lstm=rnn_class is nn.LSTM),
                InputConcatInjection(latent_dim),
            ]
        self.injections = nn.ModuleList(injections)
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.word_dropout = WordDropout(word_dropout, pad_id if unk_id is None else unk_id)
        self.dropout = nn.Dropout(dropout)
        input_dim = embed_dim + sum(i.input_dim for i in self.injections)
        self.rnn = rnn_class(
            input_dim,
            hidden_dim,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.output = nn.Linear(hidden_dim, vocab_size)

    def teacher_forcing_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.word_dropout(inputs)

    def start(self, z: torch.Tensor | None, count: int) -> RecurrentState:
        hidden = None
        if z is not None:
            for injection in self.injections:
                hidden = injection.initial_state(z)
                if hidden is not None:
                    break
        return RecurrentState(z, hidden)

    def advance(self, inputs: torch.Tensor, state: RecurrentState) -> tuple[torch.Tensor, RecurrentState]:
        embedded = self.dropout(self.embedding(inputs))
        features = [embedded]
        if state.z is not None:
            for injection in self.injections:
                extra = injection.input_features(state.z, inputs.shape[1])
                if extra is not None:
                    features.append(extra.to(embedded.dtype))
        hidden, rnn_state = self.rnn(torch.cat(features, -1) if len(features) > 1 else embedded, state.hidden)
        return self.output(self.dropout(hidden)), RecurrentState(state.z, rnn_state)

    def select_state(self, state: RecurrentState, rows: torch.Tensor) -> RecurrentState:
        z = None if state.z is None else state.z.index_select(0, rows)
        hidden = state.hidden
        if isinstance(hidden, tuple):
            hidden = tuple(h.index_select(1, rows) for h in hidden)
        elif hidden is not None:
            hidden = hidden.index_select(1, rows)
        return RecurrentState(z, hidden)
