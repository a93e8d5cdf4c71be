"""The plain evidence lower bound as a pyrovae objective."""

from __future__ import annotations

from pyrovae.errors import ConfigError
from pyrovae.infer.objective import OBJECTIVES, Objective


@OBJECTIVES.register("elbo")
class ELBO(Objective):
    r"""``loss = D + R = -ELBO``: the evidence lower bound of Kingma & Welling 2014.

    .. math:: \mathcal{L}(x) = \mathbb{E}_{q(z|x)}[\log p(x|z)] - \mathrm{KL}(q(z|x)\,\|\,p(z))

    With ``analytic_kl=False`` this equals :class:`pyro.infer.Trace_ELBO` in value and gradient;
    with ``analytic_kl=True`` (default) it equals :class:`pyro.infer.TraceMeanField_ELBO`.

    Reference: Kingma & Welling, "Auto-Encoding Variational Bayes" (arXiv:1312.6114).
    """

    #: options of :class:`Objective` this objective does not take (the ELBO's KL weight is 1).
    fixed_options = ("kl_weight",)

    def __init__(self, **options) -> None:
        if "kl_weight" in options:
            raise ConfigError("the ELBO weighs the rate by 1: use objective=beta or objective=annealing")
        super().__init__(**options)

    def state_summary(self) -> dict[str, float]:
        return {}
