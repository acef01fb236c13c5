"""infogen: fast, exact information measures and generative models."""
import os as _os

# OpenMP threads that spin while waiting steal the core from a busy neighbour; waiting
# passively keeps a 2-thread run close to a 1-thread run when the machine is loaded.
# Must be set before the OpenMP runtime is loaded by _core; a user's own setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# The compiled core: the one module of a native build, or the best of a portable build's
# per-SIMD-level modules for this CPU (see _dispatch.py), always known as infogen._core.
try:
    from infogen._dispatch import load as _load_core

    _core = _load_core()
except ImportError as exc:  # pragma: no cover - only without a compiled extension
    raise ImportError(
        "infogen's compiled extension infogen._core could not be imported "
        f"({exc}). Did you forget to compile? Install with `pip install .`"
    ) from exc

__version__ = _core.__version__

from infogen._config import get_num_threads, num_threads, set_num_threads, show_config
from infogen.info import (
    binary_cross_entropy,
    conditional_entropy,
    cross_entropy,
    entr,
    entropy,
    gaussian_kl,
    information_content,
    js_divergence,
    kl_div,
    kl_divergence,
    log_softmax,
    logsumexp,
    mutual_information,
    perplexity,
    rel_entr,
    softmax,
)

# The model families load on first use (PEP 562), so ``import infogen`` and the n-gram
# command line stay light: scikit-learn, which the RBM and VAE build on, takes a second
# to import.
_LAZY = {
    "DiscreteMarkovNetwork": "infogen.rbm",
    "NGramClassifier": "infogen.ngram",
    "NGramCounts": "infogen.ngram",
    "NGramLM": "infogen.ngram",
    "DBN": "infogen.rbm",
    "BernoulliRBM": "infogen.rbm",
    "VAE": "infogen.vae",
    "Autoencoder": "infogen.ae",
    "NoveltyDetector": "infogen.novelty",
}


def __getattr__(name: str):  # noqa: ANN202 - PEP 562 module attribute
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'infogen' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "NGramClassifier",
    "NGramCounts",
    "NGramLM",
    "__version__",
    "BernoulliRBM",
    "DBN",
    "DiscreteMarkovNetwork",
    "binary_cross_entropy",
    "conditional_entropy",
    "cross_entropy",
    "entr",
    "entropy",
    "gaussian_kl",
    "get_num_threads",
    "information_content",
    "js_divergence",
    "kl_div",
    "kl_divergence",
    "log_softmax",
    "logsumexp",
    "mutual_information",
    "num_threads",
    "perplexity",
    "rel_entr",
    "set_num_threads",
    "show_config",
    "softmax",
    "VAE",
    "Autoencoder",
    "NoveltyDetector",
]
