r"""Planar-flow guide (Rezende & Mohamed 2015, arXiv:1505.05770).

``steps`` maps :math:`f(z) = z + \hat u \tanh(w^\top z + b)` after a Gaussian
:math:`N(\mu(h), \operatorname{diag} \sigma^2(h))`; with ``conditional=True`` a hypernetwork
computes :math:`(b, u, w)` from the encoder context :math:`h` for each sentence. The rate is the
Monte Carlo estimate :math:`\log q(z|x) - \log p(z)` with the log-determinants.

A planar step has no inverse: this guide scores only its own draws. Mutual information, the
aggregate posterior and a VampPrior need :math:`\log q(z|x)` at other points and refuse it with
a message; use ``guides/iaf.py`` there.

A guide file defines ``posterior(context_dim, latent_dim, **options)`` returning a
``pyrovae.latent.Posterior``; its keyword options are ``--set posterior.KEY=VALUE``::

    pyrovae fit models/lstm_vae.py --set posterior=guides/planar.py posterior.steps=8

and a model file takes it as ``build(vocab, posterior=posterior_factory("guides/planar.py", steps=8))``
(``from pyrovae.latent import posterior_factory``). See docs/latents.md.
"""

from pyrovae.latent import PlanarFlow


def posterior(context_dim: int, latent_dim: int, steps: int = 4, conditional: bool = True) -> PlanarFlow:
    return PlanarFlow(context_dim, latent_dim, steps=steps, conditional=conditional)
