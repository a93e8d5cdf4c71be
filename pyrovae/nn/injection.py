"""How a latent code enters a recurrent decoder: injections, small modules a decoder composes.

Two couplings appear in the text-VAE literature, alone or together:

* **initial state** (Bowman et al. 2016): the decoder's initial hidden state is an affine function
  of ``z`` (squashed by tanh for the hidden state; the LSTM cell state is the affine map itself,
  as in He et al. 2019);
* **input concatenation** (e.g. Yang et al. 2017, He et al. 2019): ``z`` is appended to the
  embedding of every decoder input, so every step sees it.

Each coupling is a :class:`RecurrentInjection`; :class:`~pyrovae.nn.rnn_decoder.RecurrentDecoder`
takes any list of them (none: a language model). A new coupling subclasses
:class:`RecurrentInjection`. Attention decoders have their own injections (memory key/values, an
embedding offset), which a Transformer decoder composes the same way.

References: Bowman et al., "Generating Sentences from a Continuous Space" (arXiv:1511.06349);
Yang et al., "Improved Variational Autoencoders for Text Modeling using Dilated Convolutions"
(arXiv:1702.08139); He et al., "Lagging Inference Networks and Posterior Collapse in Variational
Autoencoders" (arXiv:1901.05534).
"""

from __future__ import annotations

import torch
from torch import nn


class RecurrentInjection(nn.Module):
    """Base class: contributes extra input features and/or an initial recurrent state."""

    #: width added to each decoder input by :meth:`input_features`.
    input_dim: int = 0

    def input_features(self, z: torch.Tensor, steps: int) -> torch.Tensor | None:
        """``[N, steps, input_dim]`` features appended to the input embeddings, or None."""
        return None

    def initial_state(self, z: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...] | None:
        """The recurrent layer's initial state (``h0`` or ``(h0, c0)``) from ``z [N, D]``, or None."""
        return None


class InitialStateInjection(RecurrentInjection):
    """``c0 = W z + b`` and ``h0 = tanh(c0)``, one slice per layer; a GRU (``lstm=False``) gets ``h0`` only."""

    def __init__(self, latent_dim: int, hidden_dim: int, num_layers: int = 1, lstm: bool = True) -> None:
        super().__init__()
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.lstm = lstm
        self.to_cell = nn.Linear(latent_dim, hidden_dim * num_layers)

    def initial_state(self, z: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        cell = self.to_cell(z).view(z.shape[0], self.num_layers, self.hidden_dim)
        cell = cell.transpose(0, 1).contiguous()
        hidden = torch.tanh(cell)
        return (hidden, cell) if self.lstm else hidden


class InputConcatInjection(RecurrentInjection):
    """Append ``z`` to the embedding of every decoder input."""

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.input_dim = latent_dim

    def input_features(self, z: torch.Tensor, steps: int) -> torch.Tensor:
        return z.unsqueeze(-2).expand(z.shape[0], steps, z.shape[-1])

