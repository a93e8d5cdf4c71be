r"""Inverse-autoregressive-flow guide (Kingma et al. 2016, arXiv:1606.04934), MADE networks.

``steps`` affine autoregressive maps :math:`z_k = \mu_k(z_{k-1}, h) + \sigma_k(z_{k-1}, h) \odot
z_{k-1}` after a Gaussian :math:`N(\mu(h), \operatorname{diag} \sigma^2(h))`, the encoder context
:math:`h` fed to every step's MADE, variable order reversed between steps; ``stable=True`` uses
the sigmoid-gated update of eqs. 11-14. The rate is the Monte Carlo estimate
:math:`\log q(z|x) - \log p(z)` with the log-determinants. The flow is invertible (dimension by
dimension), so every metric works with it.

A guide file defines ``posterior(context_dim, latent_dim, **options)`` returning a
``pyrovae.latent.Posterior``; its keyword options are ``--set posterior.KEY=VALUE``::

    pyrovae fit models/lstm_vae.py --set posterior=guides/iaf.py posterior.steps=4

and a model file takes it as ``build(vocab, posterior=posterior_factory("guides/iaf.py", steps=4))``
(``from pyrovae.latent import posterior_factory``). See docs/latents.md.
"""

from pyrovae.latent import InverseAutoregressiveFlow


def posterior(context_dim: int, latent_dim: int, steps: int = 4, stable: bool = False) -> InverseAutoregressiveFlow:
    return InverseAutoregressiveFlow(context_dim, latent_dim, steps=steps, stable=stable)
