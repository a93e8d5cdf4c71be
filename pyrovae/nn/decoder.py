r"""``Decoder``: the base class of autoregressive decoders :math:`p(x \mid z) = \prod_t p(x_t \mid x_{<t}, z)`.

A decoder family (recurrent, Transformer, ...) implements two hooks on an *incremental state*:

* :meth:`Decoder.start` ``(z, count) -> state``: the state before the first input token, computed
  from one code per row (``z [N, *event]``, or None for a language model);
* :meth:`Decoder.advance` ``(inputs [N, L], state) -> (logits [N, L, V], state)``: read ``L`` more
  input tokens.

Everything else is shared and lives here:

* teacher forcing, :meth:`Decoder.forward` ``(inputs [B, T], z [..., B, *event])``: the leading
  *sample dimensions* of ``z`` (particles, importance samples) are folded into the batch, the
  inputs expanded to match (a view), and unfolded again in the logits ``[..., B, T, V]``;
* the likelihood, :meth:`Decoder.likelihood` ``(batch, z)``: a
  :class:`~pyrovae.distributions.TokenSequence` over the batch's targets (float32 log-probabilities);
* generation, :meth:`Decoder.generate`: one token at a time from ``<bos>`` until ``<eos>``, each
  next token chosen by a ``choose`` strategy (:mod:`pyrovae.generation.decoding`); beam search
  (:func:`pyrovae.generation.beam_search`) reorders the state with :meth:`Decoder.select_state`.

A recurrent state is the RNN's hidden state; a Transformer's is its key/value cache. Because
teacher forcing and generation run through the same two hooks, incremental decoding computes
exactly the logits of the full teacher-forced pass.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable

import torch
from torch import nn
from torch.utils._pytree import tree_map

from pyrovae.distributions.token_sequence import TokenSequence
from pyrovae.errors import ConfigError
from pyrovae.text.batch import TokenBatch

#: Picks the next token ``[N]`` from float32 logits ``[N, V]``.
TokenChooser = Callable[[torch.Tensor], torch.Tensor]


def greedy(logits: torch.Tensor) -> torch.Tensor:
    """The most probable next token."""
    return logits.argmax(-1)


class Decoder(nn.Module, ABC):
    """Base class of pyrovae's decoders: sample-dimension folding, likelihood and generation.

    Attributes:
        vocab_size: number of output tokens ``V``.
        latent_dim: size of one code vector (0 for a language model, which ignores ``z``).
        latent_event_dims: trailing dimensions of ``z`` that form one code: 1 for a vector
            ``[D]``, 2 for a set of vectors ``[K, D]``.
    """

    latent_event_dims: int = 1

    def __init__(self, vocab_size: int, latent_dim: int) -> None:
        super().__init__()
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 0:
            raise ConfigError(f"latent_dim must be a non-negative integer (0: no latent code), got {latent_dim!r}")
        self.vocab_size, self.latent_dim = vocab_size, latent_dim

    # ----------------------------------------------------------------------- the two hooks
    @abstractmethod
    def start(self, z: torch.Tensor | None, count: int) -> Any:
        """The incremental state of ``count`` rows before any input, from codes ``z [count, *event]``."""

    @abstractmethod
    def advance(self, inputs: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """Read ``inputs [N, L]`` from ``state``: next-token logits ``[N, L, V]`` and the new state."""

    def select_state(self, state: Any, rows: torch.Tensor) -> Any:
        """The state of the given rows (``rows [M]``, repeats allowed), for beam search.

        The default indexes dimension 0 of every tensor in the state: decoders whose state keeps
        rows elsewhere override it.
        """
        return tree_map(lambda t: t.index_select(0, rows) if torch.is_tensor(t) else t, state)

    def teacher_forcing_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """The inputs the decoder reads under teacher forcing (word dropout corrupts them here)."""
        return inputs

    # ----------------------------------------------------------------------- shared
    def forward(self, inputs: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        """Teacher-forced logits ``[..., B, T, V]`` for inputs ``[B, T]`` and codes ``z [..., B, *event]``."""
        inputs = self.teacher_forcing_inputs(inputs)
        if z is None or self.latent_dim == 0:
            logits, _ = self.advance(inputs, self.start(None, inputs.shape[0]))
            return logits
        event = self.latent_event_dims
        lead = z.shape[: z.dim() - event]
        batch = inputs.shape[0]
        if len(lead) == 0 or lead[-1] != batch:
            raise ValueError(f"latent batch shape {tuple(lead)} does not end with the batch size {batch}")
        flat_inputs = inputs.expand(lead + inputs.shape[-1:]).reshape(-1, inputs.shape[-1])
        flat_z = z.reshape((-1,) + z.shape[z.dim() - event :])
        logits, _ = self.advance(flat_inputs, self.start(flat_z, flat_inputs.shape[0]))
        return logits.view(lead + logits.shape[-2:])

    def likelihood(self, batch: TokenBatch, z: torch.Tensor | None = None) -> TokenSequence:
        """:math:`p(x \\mid z)` of the batch's sentences: a masked categorical over its targets."""
        return TokenSequence(self(batch.decoder_inputs, z), batch.lengths, pad_id=batch.pad_id)

    def _device(self) -> torch.device:
        return next(self.parameters()).device

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
        """Decode one token at a time from codes ``z [N, *event]`` until ``<eos>`` or ``max_length`` tokens.

        ``choose`` maps the next-token logits to a token (greedy by default). Returns token ids
        without ``<bos>``/``<eos>``. Without a latent code pass ``z=None`` and ``num_sequences``.
        """
        count = z.shape[0] if z is not None else int(num_sequences or 1)
        device = self._device()
        token = torch.full((count, 1), bos_id, dtype=torch.long, device=device)
        finished = torch.zeros(count, dtype=torch.bool, device=device)
        state = self.start(z if self.latent_dim else None, count)
        outputs: list[torch.Tensor] = []
        for _ in range(max_length):
            logits, state = self.advance(token, state)
            token = choose(logits[:, -1].float()).unsqueeze(-1)
            outputs.append(token.squeeze(-1).masked_fill(finished, eos_id))
            finished |= token.squeeze(-1) == eos_id
            if bool(finished.all()):
                break
        sequences = torch.stack(outputs, -1).tolist() if outputs else [[] for _ in range(count)]
        return [seq[: seq.index(eos_id)] if eos_id in seq else seq for seq in sequences]
