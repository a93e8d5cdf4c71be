"""A plain-PyTorch LSTM sentence VAE: the same network and loss as ``models/lstm_vae.py``.

This is the reference the benchmark times pyrovae against. It has exactly the layers of the
``TextVAE`` that ``models/lstm_vae.py`` builds (its defaults: ``init_state`` and ``concat_z``
injections, one layer, LSTM cells):

* encoder: embedding -> (dropout, p=0 as in the model file) -> packed LSTM -> final hidden state
  -> ``Linear(hidden, 2 * latent)`` giving ``[mu, log sigma^2]``;
* ``z = mu + sigma * eps`` with ``eps ~ N(0, I)`` (drawn after the encoder and before the decoder's
  dropout masks, the order pyrovae's guide/model pair consumes the random stream);
* decoder: ``c0 = Linear(z)``, ``h0 = tanh(c0)``; input ``[dropout(embedding(x_<t)), z]`` at every
  step -> LSTM -> dropout -> ``Linear(hidden, vocab)``;
* loss: masked token cross-entropy summed per sentence + analytic ``KL(q(z|x) || N(0, I))``,
  averaged over sentences (= pyrovae's ``VAELoss(vae, ELBO())``).

The module works on plain tensors (``tokens [B, T+1]``, ``lengths [B]``) so nothing of pyrovae is
used at run time; :func:`load_from_pyrovae` copies the weights of a pyrovae ``TextVAE`` and
:func:`pyrovae_name` names the pyrovae parameter of each plain one.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

#: plain parameter name -> pyrovae ``TextVAE`` state_dict name (prefix mapping).
NAME_MAP = {
    "enc_embedding.": "encoder.embedding.",
    "enc_lstm.": "encoder.rnn.",
    "to_params.": "posterior.to_params.",
    "to_cell.": "decoder.injections.0.to_cell.",
    "dec_embedding.": "decoder.embedding.",
    "dec_lstm.": "decoder.rnn.",
    "output.": "decoder.output.",
}


class PlainLSTMVAE(nn.Module):
    """The LSTM VAE of ``models/lstm_vae.py`` in plain PyTorch (layers named as in :data:`NAME_MAP`)."""

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        hidden_dim: int,
        latent_dim: int,
        dropout: float = 0.5,
        pad_id: int = 0,
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.enc_embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.enc_dropout = nn.Dropout(0.0)  # RecurrentEncoder's default, kept for parity
        self.enc_lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True)
        self.to_params = nn.Linear(hidden_dim, 2 * latent_dim)
        self.dec_embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.to_cell = nn.Linear(latent_dim, hidden_dim)
        self.dec_lstm = nn.LSTM(embed_dim + latent_dim, hidden_dim, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_dim, vocab_size)

    # ------------------------------------------------------------------ pieces
    def encode(self, targets: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``mu, log_var [B, D]`` of ``q(z | x)``."""
        embedded = self.enc_dropout(self.enc_embedding(targets))
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, (h, _) = self.enc_lstm(packed)
        mu, log_var = self.to_params(h[-1]).chunk(2, dim=-1)
        return mu, log_var

    def decode(self, inputs: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits ``[N, T, V]`` for inputs ``[N, T]`` and codes ``z [N, D]``."""
        cell = self.to_cell(z).unsqueeze(0)
        state = (torch.tanh(cell), cell)
        embedded = self.dropout(self.dec_embedding(inputs))
        features = torch.cat([embedded, z.unsqueeze(1).expand(-1, inputs.shape[1], -1)], -1)
        hidden, _ = self.dec_lstm(features, state)
        return self.output(self.dropout(hidden))

    @staticmethod
    def token_nll(logits: torch.Tensor, targets: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``[N]`` masked cross-entropy summed over each sentence's ``lengths`` positions."""
        nll = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none"
        ).view(targets.shape)
        mask = torch.arange(targets.shape[1], device=targets.device) < lengths.unsqueeze(-1)
        return nll.masked_fill(~mask, 0.0).sum(-1)

    # ------------------------------------------------------------------ loss
    def forward(
        self, tokens: torch.Tensor, lengths: torch.Tensor, eps: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(loss, distortion, rate)``: the loss is the negative ELBO averaged over sentences."""
        inputs, targets = tokens[:, :-1], tokens[:, 1:]
        mu, log_var = self.encode(targets, lengths)
        std = torch.exp(0.5 * log_var)
        if eps is None:
            eps = torch.randn_like(mu)
        z = mu + eps * std
        distortion = self.token_nll(self.decode(inputs, z), targets, lengths)
        rate = 0.5 * (mu.pow(2) + std.pow(2) - 1.0 - log_var).sum(-1)
        return (distortion + rate).mean(), distortion.mean(), rate.mean()

    # ------------------------------------------------------- importance sampling
    @torch.no_grad()
    def importance_log_likelihood(
        self,
        tokens: torch.Tensor,
        lengths: torch.Tensor,
        num_samples: int,
        samples_per_chunk: int | None = None,
        eps: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``[B]`` estimates ``log 1/K sum_k p(x, z_k) / q(z_k | x)`` with ``z_k ~ q(z | x)``.

        Encodes once, draws the ``K`` samples at once (or takes them as ``eps [K, B, D]``) and
        decodes ``samples_per_chunk * B`` sequences at a time (all ``K`` by default); one
        ``logsumexp`` over the ``[K, B]`` log weights.
        """
        inputs, targets = tokens[:, :-1], tokens[:, 1:]
        mu, log_var = self.encode(targets, lengths)
        std = torch.exp(0.5 * log_var)
        K, (B, D) = num_samples, mu.shape
        if eps is None:
            eps = torch.randn(K, B, D, dtype=mu.dtype, device=mu.device)
        z = mu + eps * std  # [K, B, D]
        log_norm = 0.5 * D * math.log(2 * math.pi)
        log_q = (-0.5 * eps.pow(2) - 0.5 * log_var).sum(-1) - log_norm
        log_prior = (-0.5 * z.pow(2)).sum(-1) - log_norm
        chunk = samples_per_chunk or K
        log_lik = []
        for start in range(0, K, chunk):
            k = min(chunk, K - start)
            logits = self.decode(inputs.repeat(k, 1), z[start : start + k].reshape(k * B, D))
            nll = self.token_nll(logits, targets.repeat(k, 1), lengths.repeat(k))
            log_lik.append(-nll.view(k, B))
        log_w = torch.cat(log_lik) + log_prior - log_q
        return (torch.logsumexp(log_w.double(), dim=0) - math.log(K)).to(mu.dtype)


def pyrovae_name(plain_name: str) -> str:
    """The name in the pyrovae ``TextVAE`` of the plain parameter or buffer ``plain_name``."""
    prefix = next(p for p in NAME_MAP if plain_name.startswith(p))
    return NAME_MAP[prefix] + plain_name[len(prefix) :]


def load_from_pyrovae(plain: PlainLSTMVAE, vae: nn.Module) -> None:
    """Copy the weights of a pyrovae ``TextVAE`` (from ``models/lstm_vae.py``) into ``plain``.

    Raises:
        KeyError: a plain parameter has no pyrovae counterpart (``NAME_MAP`` is out of date).
        ValueError: a pyrovae parameter has no plain counterpart (not the same network).
    """
    source = vae.state_dict()
    mapped = {name: source[pyrovae_name(name)] for name in plain.state_dict()}
    unused = set(source) - {pyrovae_name(name) for name in mapped}
    if unused:
        raise ValueError(f"pyrovae parameters with no counterpart in the plain model: {sorted(unused)}")
    plain.load_state_dict(mapped, strict=True)
