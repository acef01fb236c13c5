"""Variational autoencoders on the C++ kernels.

- :class:`VAE` (``model.py``): the scikit-learn estimator.
- ``demo.py``, ``cli.py``, ``plotting.py``: the family's demo section, command and figures.
"""
from infogen.vae.model import ACTIVATIONS, VAE

__all__ = ["ACTIVATIONS", "VAE"]
