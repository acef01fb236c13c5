"""Deterministic autoencoders (undercomplete, sparse, denoising, contractive) on the VAE's kernels.

- :class:`Autoencoder` (``model.py``): the scikit-learn transformer.
- ``demo.py``, ``cli.py``, ``plotting.py``: the family's demo section, command and figures.
"""
from infogen.ae.model import Autoencoder

__all__ = ["Autoencoder"]
