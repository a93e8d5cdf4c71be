"""pyrovae: variational autoencoders of text as Pyro programs.

The pieces, one folder each: :mod:`pyrovae.nn` (networks), :mod:`pyrovae.distributions`,
:mod:`pyrovae.latent` (priors and posteriors), :mod:`pyrovae.infer` (objectives, importance
sampling), :mod:`pyrovae.metrics` (estimators with standard errors and units),
:mod:`pyrovae.train`, :mod:`pyrovae.data` and :mod:`pyrovae.cli`.
"""

from pyrovae.lm import LanguageModel
from pyrovae.vae import TextVAE
from pyrovae.version import __version__
# No __all__ here: pdoc would then document only the names listed, not the subpackages.
