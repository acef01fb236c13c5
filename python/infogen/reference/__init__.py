"""Plain Python/NumPy references for every C++ kernel: the baseline of tests and benchmarks.

They favour clarity and accuracy over speed and share no code with the kernels.
"""
from infogen.reference import info, ngram, random, rbm, vae

__all__ = ["info", "ngram", "random", "rbm", "vae"]
