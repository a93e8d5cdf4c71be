r"""Density estimation with the fitted mixed-membership model: :math:`\log q_g(z)`, the marginal
KL :math:`\mathrm{KL}(q_g \,\|\, p)` and the index-code mutual information.

**Posterior-predictive density.** With ``S`` parameter draws the density of group ``g`` is

.. math:: \log \hat q_g(z) = \log \frac1S \sum_s q^{(s)}_g(z),
    \qquad q^{(s)}_g(z) = \sum_k \theta^{(s)}_{gk} f(z; \phi^{(s)}_k)

(:func:`posterior_predictive_log_density`, nats per unit of z-volume).

**Marginal KL** (Barkhof 2021, eq. 4.11; Hoffman & Johnson 2016, "ELBO surgery"; the quantity and
its estimators are defined in :mod:`pyrovae.metrics.marginal_kl`, whose bootstrap estimator this
applies to the fitted density). For the
group's ``N`` observed codes :math:`z_n \sim q_g` (the VAE's aggregate posterior) and the VAE
prior's :math:`\log p(z_n)`, each parameter draw gives

.. math:: \widehat{\mathrm{KL}}^{(s)} = \sum_n w^{(s)}_n
    \big[\log q^{(s)}_g(z_n) - \log p(z_n)\big],
    \qquad w^{(s)} \sim \mathrm{Dirichlet}(\mathbf 1_N),

the **Bayesian bootstrap** (Rubin 1981, "The Bayesian Bootstrap", Ann. Stat. 9(1)) of the
expectation :math:`\mathbb E_{q_g}[\log q_g - \log p]`. The credible interval over ``s`` thus
carries both the uncertainty of the density's parameters and the finite sample of codes (with
``w = 1/N`` it would carry the former only, and be too narrow: for :math:`q = \mathcal N(\mu, I)`
the per-code terms have variance :math:`\|\mu\|^2`). Units: nats, per code, i.e. per sentence
when each sentence gives one code.

Bias, stated carefully:

* **Misspecification** (the family cannot represent :math:`q_g`): in expectation over codes,
  :math:`\mathbb E_{q_g}[\log \tilde q - \log p] = \mathrm{KL}(q_g\|p) - \mathrm{KL}(q_g\|\tilde q)`
  for any fixed density :math:`\tilde q`, so a poor fit *under*-estimates the marginal KL.
* **Re-use of the fitted codes**: the density was fitted to the same :math:`z_n`, so at the
  best-fitting parameters the in-sample average log density is optimistic by about
  :math:`d / (2N)` nats (``d`` free parameters; Akaike 1974), an *over*-estimate; averaging over
  posterior draws instead of plugging in the best fit takes about the same amount off again
  (the posterior-mean log-likelihood lies about :math:`d/2` below its maximum), so the two
  largely cancel. Pass held-out codes (``z`` not used in the fit) to remove the second issue.
* **The univariate model** gives per-dimension KLs :math:`\mathrm{KL}(q_{g,d} \,\|\, p_d)`; when
  ``p`` factorises their sum is the KL between the *product of marginals* of :math:`q_g` and ``p``,
  which is :math:`\mathrm{KL}(q_g\|p)` minus the total correlation of :math:`q_g`.

**Index-code mutual information** (Hoffman & Johnson 2016): :math:`I_q(x; z) = R - \mathrm{KL}(q\|p)`,
``R`` the rate :math:`\mathbb E_x \mathrm{KL}(q(z|x)\,\|\,p(z))`. With the per-code rate
:math:`R_n` of the sentence that produced :math:`z_n`, the same bootstrap weights give
:math:`\hat I^{(s)} = \sum_n w^{(s)}_n \big(R_n - \log q^{(s)}_g(z_n) + \log p(z_n)\big)`, whose
expectation is :math:`\mathbb E_{x,z}[\log q(z|x) - \log q(z)] = I_q`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from pyrovae.analysis.intervals import DEFAULT_PROB, CredibleInterval
from pyrovae.analysis.posterior import MixedMembershipPosterior
from pyrovae.errors import DataError
from pyrovae.metrics.marginal_kl import (
    bootstrap_index_code_mi,
    bootstrap_marginal_kl,
    bootstrap_weights,
)

UNIT = "nats"


def posterior_predictive_log_density(posterior: MixedMembershipPosterior, z: torch.Tensor, group: int | torch.Tensor) -> torch.Tensor:
    r"""``[N]``: :math:`\log \frac1S \sum_s q^{(s)}_g(z_n)` (nats), for one group index or one per point."""
    group = _group_tensor(group, z)
    log_q = posterior.log_likelihood(z, group).double()
    return torch.logsumexp(log_q, 0) - math.log(posterior.num_draws)


@dataclass
class MarginalKL:
    """Posterior draws of :math:`\\mathrm{KL}(q_g \\| p)` (module docstring).

    Attributes:
        draws: ``[S]``, nats.
        per_block: ``[S, P]`` per-block KLs when the prior's log density was given per block
            (the univariate model's per-dimension KLs), else None.
        terms: ``[S, N]`` the per-code terms :math:`\\log q^{(s)}_g(z_n) - \\log p(z_n)`.
        weights: ``[S, N]`` the Bayesian-bootstrap weights.
    """

    draws: torch.Tensor
    per_block: torch.Tensor | None
    terms: torch.Tensor
    weights: torch.Tensor

    def interval(self, prob: float = DEFAULT_PROB) -> CredibleInterval:
        return CredibleInterval.from_draws(self.draws, prob, UNIT)

    def per_block_intervals(self, prob: float = DEFAULT_PROB) -> list[CredibleInterval]:
        if self.per_block is None:
            return []
        return [CredibleInterval.from_draws(self.per_block[:, p], prob, UNIT) for p in range(self.per_block.shape[1])]

    def index_code_mutual_information(self, rate: torch.Tensor) -> torch.Tensor:
        r"""``[S]`` draws of :math:`I_q = R - \mathrm{KL}` from the per-code rates ``rate [N]`` (nats)."""
        return bootstrap_index_code_mi(self.terms, self.weights, rate)


def marginal_kl(
    posterior: MixedMembershipPosterior,
    z: torch.Tensor,
    group: int,
    log_prior: torch.Tensor,
    seed: int = 0,
    log_q: torch.Tensor | None = None,
) -> MarginalKL:
    r"""Draws of :math:`\mathrm{KL}(q_g \,\|\, p)` from codes ``z [N, D]`` of group ``group``.

    Args:
        posterior: the fitted model's parameter draws.
        z: codes drawn from :math:`q_g`; usually the group's own observations.
        group: the group index ``g``.
        log_prior: ``[N]`` :math:`\log p(z_n)`, or ``[N, P]`` per block (per dimension for the
            univariate model; then :attr:`MarginalKL.per_block` is filled, and the total is their
            sum).
        seed: seeds the bootstrap weights.
        log_q: ``[S, N]`` :math:`\log q^{(s)}_g(z_n)` when already computed (e.g. as part of
            :meth:`~pyrovae.analysis.posterior.MixedMembershipPosterior.log_likelihood` over all
            groups); only with a total ``log_prior``.
    """
    n = z.shape[0]
    if n == 0:
        raise DataError(f"group {group} has no codes: the marginal KL needs at least one")
    log_prior = torch.as_tensor(log_prior, dtype=torch.float64)
    if not torch.isfinite(log_prior).all():
        raise DataError("log p(z) is NaN or infinite for some codes: the prior does not support them")
    num_blocks = posterior.model.num_blocks
    per_block_prior = log_prior.shape == (n, num_blocks) and log_prior.shape != (n,)
    if log_prior.shape != (n,) and not per_block_prior:
        raise DataError(f"log_prior must be [N] = [{n}] or [N, P] = [{n}, {num_blocks}], got {tuple(log_prior.shape)}")
    weights = bootstrap_weights(posterior.num_draws, n, torch.Generator().manual_seed(seed))
    groups = _group_tensor(group, z)
    per_block = None
    if per_block_prior:
        totals, per_block_parts = [], []
        for start, part in posterior.chunks(n):
            terms = part.block_log_likelihood(z, groups).double() - log_prior  # [s, N, P]
            per_block_parts.append(torch.einsum("sn,snp->sp", weights[start : start + part.num_draws], terms))
            totals.append(terms.sum(-1))
        terms, per_block = torch.cat(totals), torch.cat(per_block_parts)
    else:
        log_q = posterior.log_likelihood(z, groups) if log_q is None else log_q
        if log_q.shape != (posterior.num_draws, n):
            raise DataError(f"log_q must be [draws, N] = [{posterior.num_draws}, {n}], got {tuple(log_q.shape)}")
        terms = log_q.double() - log_prior
    return MarginalKL(bootstrap_marginal_kl(terms, weights), per_block, terms, weights)


def _group_tensor(group: int | torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    if isinstance(group, torch.Tensor) and group.dim() == 1:
        return group
    return torch.full((z.shape[0],), int(group), dtype=torch.long)
