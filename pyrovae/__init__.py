"""pyrovae: variational autoencoders of text as Pyro programs.

The pieces, one folder each: :mod:`pyrovae.nn` (networks), :mod:`pyrovae.distributions`,
:mod:`pyrovae.latent` (priors and posteriors), :mod:`pyrovae.infer` (objectives, importance
sampling), :mod:`pyrovae.metrics` (estimators with standard errors and units),
:mod:`pyrovae.train`, :mod:`pyrovae.data` and :mod:`pyrovae.cli`.
"""

from pyrovae.version import __version__

# ``TextVAE`` and ``LanguageModel`` are imported on first use: ``import pyrovae`` (and so
# ``pyrovae --help``) must not pay for torch and Pyro. No __all__ here: pdoc would then document
# only the names listed, not the subpackages.


def __getattr__(name: str):
    if name == "TextVAE":
        from pyrovae.vae import TextVAE

        return TextVAE
    if name == "LanguageModel":
        from pyrovae.lm import LanguageModel

        return LanguageModel
    raise AttributeError(f"module 'pyrovae' has no attribute {name!r}")
