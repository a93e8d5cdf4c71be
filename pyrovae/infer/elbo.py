"""The plain evidence lower bound as a pyrovae objective."""

from __future__ import annotations

import torch

from pyrovae.infer.objective import Objective
from pyrovae.infer.rate_distortion import RateDistortion
from pyrovae.infer.registry import OBJECTIVES


@OBJECTIVES.register("elbo")
class ELBO(Objective):
    r"""``loss = D + R = -ELBO``: the evidence lower bound of Kingma & Welling 2014.

    .. math:: \mathcal{L}(x) = \mathbb{E}_{q(z|x)}[\log p(x|z)] - \mathrm{KL}(q(z|x)\,\|\,p(z))

    With ``analytic_kl=False`` this equals :class:`pyro.infer.Trace_ELBO` in value and gradient;
    with ``analytic_kl=True`` (default) it equals :class:`pyro.infer.TraceMeanField_ELBO`.

    Reference: Kingma & Welling, "Auto-Encoding Variational Bayes" (arXiv:1312.6114).
    """

    def loss_from_terms(self, terms: RateDistortion) -> torch.Tensor:
        return terms.distortion + terms.rate
