"""Information measures: batched, log-space-stable reductions and scipy-style elementwise functions.

``measures`` holds the row-wise reductions (entropy, divergences, logsumexp, ...) and
``elementwise`` the functions of ``scipy.special`` (``rel_entr``, ``kl_div``, ``entr``);
the argument rules they share (axis, nan_policy, numbers, flags) live in
``infogen._validation``.
"""
from infogen.info.elementwise import entr, kl_div, rel_entr
from infogen.info.measures import (
    binary_cross_entropy,
    conditional_entropy,
    cross_entropy,
    entropy,
    gaussian_kl,
    information_content,
    js_divergence,
    kl_divergence,
    log_softmax,
    logsumexp,
    mutual_information,
    perplexity,
    softmax,
)

__all__ = [
    "binary_cross_entropy",
    "conditional_entropy",
    "cross_entropy",
    "entr",
    "entropy",
    "gaussian_kl",
    "information_content",
    "js_divergence",
    "kl_div",
    "kl_divergence",
    "log_softmax",
    "logsumexp",
    "mutual_information",
    "perplexity",
    "rel_entr",
    "softmax",
]
