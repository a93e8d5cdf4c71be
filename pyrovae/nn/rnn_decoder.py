"""Recurrent language-model decoder conditioned on a latent code."""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from pyrovae.errors import ConfigError
from pyrovae.nn.cells import recurrent_cell
from pyrovae.nn.injection import (
    COUPLINGS,
    InitialStateInjection,
    InputConcatInjection,
    LatentInjection,
)
from pyrovae.nn.word_dropout import WordDropout

#: Picks the next token ``[N]`` from float32 logits ``[N, V]``.
TokenChooser = Callable[[torch.Tensor], torch.Tensor]


def greedy(logits: torch.Tensor) -> torch.Tensor:
    """The most probable next token."""
    return logits.argmax(-1)


class RecurrentDecoder(nn.Module):
    """An LSTM/GRU decoder ``p(x | z) = prod_t p(x_t | x_<t, z)``.

    ``z`` enters through ``coupling``: ``"init"`` (initial hidden state, Bowman et al. 2016,
    arXiv:1511.06349), ``"concat"`` (appended to every input embedding) or ``"both"`` (as in
    He et al. 2019, arXiv:1901.05534). With ``latent_dim=0`` the decoder is a plain language model.

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
        coupling: str = "both",
        dropout: float = 0.0,
        word_dropout: float = 0.0,
        pad_id: int = 0,
        unk_id: int = 1,
    ) -> None:
        super().__init__()
        if coupling not in COUPLINGS:
            raise ConfigError(f"unknown coupling {coupling!r}: expected one of {COUPLINGS}")
        rnn_class = recurrent_cell(cell)
        injections: list[LatentInjection] = []
        if latent_dim > 0 and coupling in ("init", "both"):
            injections.append(
                InitialStateInjection(latent_dim, hidden_dim, num_layers, rnn_class is nn.LSTM)
            )
        if latent_dim > 0 and coupling in ("concat", "both"):
            injections.append(InputConcatInjection(latent_dim))
        self.injections = nn.ModuleList(injections)
        self.latent_dim = latent_dim
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.word_dropout = WordDropout(word_dropout, unk_id)
        self.dropout = nn.Dropout(dropout)
        input_dim = embed_dim + sum(i.input_dim for i in injections)
        self.rnn = rnn_class(
            input_dim,
            hidden_dim,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.output = nn.Linear(hidden_dim, vocab_size)

    def _flatten(self, inputs: torch.Tensor, z: torch.Tensor | None):
        """Fold the sample dimensions of ``z`` into the batch: ``[N, T]``, ``[N, D]``, lead shape."""
        if z is None or self.latent_dim == 0:
            return inputs, None, inputs.shape[:-1]
        lead = z.shape[:-1]
        batch = inputs.shape[0]
        if len(lead) == 0 or lead[-1] != batch:
            raise ValueError(
                f"latent batch shape {tuple(lead)} does not end with the batch size {batch}"
            )
        flat_inputs = inputs.expand(lead + inputs.shape[-1:]).reshape(-1, inputs.shape[-1])
        return flat_inputs, z.reshape(-1, z.shape[-1]), lead

    def _run(self, inputs: torch.Tensor, z: torch.Tensor | None, state=None):
        embedded = self.dropout(self.embedding(inputs))
        features = [embedded]
        for injection in self.injections:
            extra = injection.input_features(z, inputs.shape[1])
            if extra is not None:
                features.append(extra.to(embedded.dtype))
            if state is None:
                state = injection.initial_state(z)
        hidden, state = self.rnn(torch.cat(features, -1) if len(features) > 1 else embedded, state)
        return self.output(self.dropout(hidden)), state

    def forward(self, inputs: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        inputs = self.word_dropout(inputs)
        flat_inputs, flat_z, lead = self._flatten(inputs, z)
        logits, _ = self._run(flat_inputs, flat_z)
        return logits.view(lead + logits.shape[-2:])

    @torch.no_grad()
    def generate(
        self,
        z: torch.Tensor | None,
        bos_id: int,
        eos_id: int,
        max_length: int = 50,
        choose: TokenChooser = greedy,
        num_sequences: int | None = None,
    ) -> list[list[int]]:
        """Decode one token at a time from ``z [N, D]`` until ``<eos>`` or ``max_length`` tokens.

        ``choose`` maps the next-token logits to a token (greedy by default). Returns token ids
        without ``<bos>``/``<eos>``. With ``latent_dim=0`` pass ``z=None`` and ``num_sequences``.
        """
        count = z.shape[0] if z is not None else int(num_sequences or 1)
        device = self.output.weight.device
        token = torch.full((count, 1), bos_id, dtype=torch.long, device=device)
        finished = torch.zeros(count, dtype=torch.bool, device=device)
        outputs: list[torch.Tensor] = []
        state = None
        for _ in range(max_length):
            logits, state = self._run(token, z, state)
            token = choose(logits[:, -1].float()).unsqueeze(-1)
            outputs.append(token.squeeze(-1).masked_fill(finished, eos_id))
            finished |= token.squeeze(-1) == eos_id
            if bool(finished.all()):
                break
        sequences = torch.stack(outputs, -1).tolist() if outputs else [[] for _ in range(count)]
        return [seq[: seq.index(eos_id)] if eos_id in seq else seq for seq in sequences]
