"""LSTM sentence VAE (Bowman et al. 2016; the layout of He et al. 2019).

An LSTM encoder reads the sentence; its final hidden state parametrises a diagonal-Gaussian
posterior over a 32-dimensional code; an LSTM decoder receives the code through its initial
state and by concatenation with every input embedding.

    pyrovae fit models/lstm_vae.py --data train=ptb/train.txt valid=ptb/valid.txt test=ptb/test.txt

The defaults (256-dimensional embeddings and LSTM states) train on a CPU; He et al. used
``--set model.embed_dim=512 model.hidden_dim=1024`` on a GPU. Other posteriors and priors
(docs/latents.md): ``--set posterior=iaf posterior.steps=4 prior=mog prior.components=10``.

References: Bowman et al., "Generating Sentences from a Continuous Space" (arXiv:1511.06349);
He et al., "Lagging Inference Networks and Posterior Collapse in VAEs" (arXiv:1901.05534).
"""

from pyrovae.data import Vocabulary
from pyrovae.latent import DiagonalNormal, PosteriorFactory, PriorFactory, StandardNormal
from pyrovae.nn import RecurrentDecoder, RecurrentEncoder
from pyrovae.vae import TextVAE


def build(
    vocab: Vocabulary,
    latent_dim: int = 32,
    embed_dim: int = 256,
    hidden_dim: int = 256,
    cell: str = "lstm",
    coupling: str = "both",
    dropout: float = 0.5,
    word_dropout: float = 0.0,
    posterior: PosteriorFactory = DiagonalNormal,
    prior: PriorFactory = StandardNormal,
) -> TextVAE:
    encoder = RecurrentEncoder(len(vocab), embed_dim, hidden_dim, cell=cell, pad_id=vocab.pad_id)
    decoder = RecurrentDecoder(
        len(vocab),
        latent_dim,
        embed_dim,
        hidden_dim,
        cell=cell,
        coupling=coupling,
        dropout=dropout,
        word_dropout=word_dropout,
        pad_id=vocab.pad_id,
        unk_id=vocab.unk_id,
    )
    return TextVAE(encoder, posterior(hidden_dim, latent_dim), prior(latent_dim), decoder)
