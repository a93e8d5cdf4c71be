"""Diagonal-Gaussian guide: ``q(z | x) = N(mu(h), diag sigma^2(h))`` with ``[mu, log sigma^2] = W h + b``.

The posterior of the standard sentence VAE (Kingma & Welling 2014, arXiv:1312.6114; Bowman et al.
2016, arXiv:1511.06349). Its KL to a Gaussian prior is analytic and per dimension.

A guide file defines ``posterior(context_dim, latent_dim, **options)`` returning a
``pyrovae.latent.Posterior``; its keyword options are ``--set posterior.KEY=VALUE``::

    pyrovae fit models/lstm_vae.py --set posterior=guides/normal.py

and a model file takes it as ``build(vocab, posterior=posterior_factory("guides/normal.py"))``
(``from pyrovae.latent import posterior_factory``). See docs/latents.md.
"""

from pyrovae.latent import DiagonalNormal


def posterior(context_dim: int, latent_dim: int) -> DiagonalNormal:
    return DiagonalNormal(context_dim, latent_dim)
