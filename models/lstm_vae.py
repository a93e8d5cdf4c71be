"""LSTM sentence VAE (Bowman et al. 2016; the layout of He et al. 2019).

An LSTM encoder reads the sentence; its final hidden state parametrises a diagonal-Gaussian
posterior over a 32-dimensional code; an LSTM decoder receives the code through its initial
state (``init_state``) and by concatenation with every input embedding (``concat_z``).

    pyrovae fit models/lstm_vae.py --data train=ptb/train.txt valid=ptb/valid.txt test=ptb/test.txt

The defaults (256-dimensional embeddings and LSTM states) train on a CPU; He et al. used
``--set model.embed_dim=512 model.hidden_dim=1024`` on a GPU. Other posteriors and priors
(docs/latents.md): ``--set posterior=iaf posterior.steps=4 prior=mog prior.components=10``.
The text is read word by word (the default codec, a vocabulary of the training words).

References: Bowman et al., "Generating Sentences from a Continuous Space" (arXiv:1511.06349);
He et al., "Lagging Inference Networks and Posterior Collapse in Variational Autoencoders"
(arXiv:1901.05534).
"""

from pyrovae.latent import DiagonalNormal, PosteriorFactory, PriorFactory, StandardNormal
from pyrovae.nn import InitialStateInjection, InputConcatInjection, RecurrentDecoder, RecurrentEncoder
from pyrovae.text import TextCodec
from pyrovae.vae import TextVAE


def build(
    codec: TextCodec,
    latent_dim: int = 32,
    embed_dim: int = 256,
    hidden_dim: int = 256,
    cell: str = "lstm",
    init_state: bool = True,
    concat_z: bool = True,
    dropout: float = 0.5,
    word_dropout: float = 0.0,
    posterior: PosteriorFactory = DiagonalNormal,
    prior: PriorFactory = StandardNormal,
) -> TextVAE:
    encoder = RecurrentEncoder(len(codec), embed_dim, hidden_dim, cell=cell, pad_id=codec.pad_id)
    injections = []
    if init_state:
        injections.append(InitialStateInjection(latent_dim, hidden_dim, lstm=cell == "lstm"))
    if concat_z:
        injections.append(InputConcatInjection(latent_dim))
    decoder = RecurrentDecoder(
        len(codec),
        latent_dim,
        embed_dim,
        hidden_dim,
        cell=cell,
        injections=injections,
        dropout=dropout,
        word_dropout=word_dropout,
        pad_id=codec.pad_id,
        unk_id=codec.unk_id,
    )
    return TextVAE(encoder, posterior(hidden_dim, latent_dim), prior(latent_dim), decoder)
