"""Information measures: batched, log-space-stable, row-wise over the last axis.

Every function works on arrays of any leading shape and reduces (or maps) the last axis
(or ``axis=``), in float32 or float64: the result has the input's dtype, and float32 rows
are accumulated in float64. Heavy lifting runs in C++ with OpenMP and without the GIL.

Conventions
-----------
* Natural logarithms (nats) unless ``base=`` is given: ``base=2`` gives bits, ``10`` bans.
* ``0 log 0 = 0``; ``p > 0`` where ``q = 0`` gives ``+inf`` (never NaN).
* Distributions may be passed as probabilities (positional ``p``/``q``), as natural-log
  probabilities (``log_p=``/``log_q=``) or as unnormalised logits (``logits=``/
  ``logits_p=``/``logits_q=``). Log inputs are used in log space directly; nothing is
  exponentiated and logged again.
* Validation (``validate=True``, the default) rejects NaN, negative probabilities, ``+inf``
  logits and rows that do not sum to 1 within ``SUM_TOLERANCE`` (1e-6 for float64, 1e-5
  for float32), naming the first offending row. infogen never renormalises silently
  (``scipy.stats.entropy`` does). ``validate=False`` skips the scan for speed; invalid
  input then gives unspecified (but memory-safe) results.
* ``n_threads=None`` uses :func:`infogen.get_num_threads`; results are bit-identical for
  any thread count.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from infogen import _validation as v
from infogen._config import resolve_threads

__all__ = [
    "logsumexp",
    "softmax",
    "log_softmax",
    "information_content",
    "entropy",
    "cross_entropy",
    "kl_divergence",
    "js_divergence",
    "binary_cross_entropy",
    "gaussian_kl",
    "perplexity",
    "mutual_information",
    "conditional_entropy",
]


def _log_base(base: float | None) -> float:
    if base is None:
        return 1.0
    if isinstance(base, bool) or not isinstance(base, (int, float, np.integer, np.floating)):
        raise TypeError(f"base must be a number such as 2, e or 10, got {base!r}")
    b = float(base)
    if not (b > 0 and b != 1 and math.isfinite(b)):
        raise ValueError(f"base must be positive, finite and not 1, got {base!r}")
    return math.log(b)


def _finish(out: np.ndarray, lead: tuple[int, ...]) -> Any:
    """Reshape a per-row result to the leading shape (a NumPy scalar for 1-D input)."""
    return out.reshape(lead)[()]


def _pick(name: str, probs: Any, log: Any, logits: Any, names: tuple[str, str, str]) -> tuple[Any, int, str]:
    given = [(a, code, n) for a, code, n in zip((probs, log, logits), (v.PROBS, v.LOG_PROBS, v.LOGITS), names)
             if a is not None]
    if len(given) != 1:
        listed = ", ".join(names)
        raise TypeError(f"{name}: pass exactly one of {listed} (got {len(given)})")
    return given[0]


def _one(name: str, p: Any, log_p: Any, logits: Any, axis: int, validate: bool, n_threads: int | None,
         names: tuple[str, str, str] = ("p", "log_p", "logits")):
    x, code, arg = _pick(name, p, log_p, logits, names)
    x2, lead = v.rows_view(v.as_float_array(x, arg), axis, arg)
    threads = resolve_threads(n_threads)
    if validate:
        v.check_distribution(x2, code, arg, lead, threads)
    return x2, code, lead, threads


def _two(name: str, p: Any, q: Any, log_p: Any, log_q: Any, logits_p: Any, logits_q: Any, axis: int,
         validate: bool, n_threads: int | None):
    xp, cp, np_ = _pick(name, p, log_p, logits_p, ("p", "log_p", "logits_p"))
    xq, cq, nq = _pick(name, q, log_q, logits_q, ("q", "log_q", "logits_q"))
    ap, aq = v.as_float_array(xp, np_), v.as_float_array(xq, nq)
    dtype = v.common_float_dtype(ap, aq)
    try:
        ap, aq = np.broadcast_arrays(ap.astype(dtype, copy=False), aq.astype(dtype, copy=False))
    except ValueError as exc:
        raise ValueError(f"{name}: {np_} of shape {np.shape(xp)} and {nq} of shape {np.shape(xq)} "
                         "do not broadcast together") from exc
    p2, lead = v.rows_view(ap, axis, np_)
    q2, _ = v.rows_view(aq, axis, nq)
    threads = resolve_threads(n_threads)
    if validate:
        v.check_distribution(p2, cp, np_, lead, threads)
        v.check_distribution(q2, cq, nq, lead, threads)
    return p2, cp, q2, cq, lead, threads


# ---------------------------------------------------------------------------------------
def logsumexp(a: Any, axis: int | None = -1, b: Any = None, keepdims: bool = False, *,
              validate: bool = True, n_threads: int | None = None) -> Any:
    """Compute ``log(sum(b * exp(a)))`` along an axis, stably.

    Parameters
    ----------
    a : array_like
        Input values.
    axis : int or None, default=-1
        Axis to reduce; ``None`` reduces over all entries.
    b : array_like, optional
        Non-negative weights broadcastable to ``a``. The shift uses the largest ``a`` that
        carries weight, so zero-weight entries cannot cause underflow.
    keepdims : bool, default=False
        Keep the reduced axis with length one.
    validate : bool, default=True
        Reject NaN in ``a`` and negative, NaN or infinite weights.
    n_threads : int, optional
        Threads to use (default: :func:`infogen.get_num_threads`).

    Returns
    -------
    ndarray or scalar
        An all ``-inf`` row gives ``-inf``; a row holding ``+inf`` gives ``+inf``.

    See Also
    --------
    scipy.special.logsumexp : the same quantity (default ``axis=None`` there).

    Examples
    --------
    >>> import numpy as np, infogen
    >>> float(infogen.logsumexp(np.log([0.25, 0.25, 0.5])))
    0.0
    >>> float(infogen.logsumexp([-np.inf, -np.inf]))
    -inf
    """
    arr = v.as_float_array(a, "a")
    threads = resolve_threads(n_threads)
    w2 = None
    if b is not None:
        wb = v.as_float_array(b, "b")
        dtype = v.common_float_dtype(arr, wb)
        arr, wb = np.broadcast_arrays(arr.astype(dtype, copy=False), wb.astype(dtype, copy=False))
        w2, _ = v.rows_view(wb, axis, "b")
    x2, lead = v.rows_view(arr, axis, "a")
    if validate:
        if w2 is None:
            v.check_range(x2, "a", lead, threads, -np.inf, np.inf)
        else:
            v.check_range(x2, "a", lead, threads, -np.inf, np.inf)
            v.check_range(w2, "b", lead, threads, 0.0, float(np.finfo(w2.dtype).max),
                          what="finite and non-negative")
    out = v.core_fn("logsumexp", x2.dtype)(x2, w2, threads)
    if keepdims:
        if axis is None:
            return out.reshape((1,) * np.ndim(a))
        return np.expand_dims(out.reshape(lead), axis)
    return _finish(out, lead)


def _softmax(x: Any, axis: int, log: bool, validate: bool, n_threads: int | None) -> np.ndarray:
    arr = v.as_float_array(x, "x")
    x2, lead = v.rows_view(arr, axis, "x")
    threads = resolve_threads(n_threads)
    if validate:
        v.check_distribution(x2, v.LOGITS, "x", lead, threads)
    out = v.core_fn("softmax", x2.dtype)(x2, log, threads)
    return np.moveaxis(out.reshape(*lead, x2.shape[1]), -1, axis)


def softmax(x: Any, axis: int = -1, *, validate: bool = True, n_threads: int | None = None) -> np.ndarray:
    """Softmax ``exp(x - logsumexp(x))`` along an axis.

    Parameters
    ----------
    x : array_like
        Logits. With ``validate=True`` a row may not hold NaN or ``+inf`` or be all ``-inf``.
    axis : int, default=-1
        Axis along which the result sums to 1.
    validate : bool, default=True
        Check the logits first.
    n_threads : int, optional
        Threads to use.

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``; ``-inf`` logits give exactly 0.

    Examples
    --------
    >>> import numpy as np, infogen
    >>> infogen.softmax([0.0, 0.0, -np.inf]).tolist()
    [0.5, 0.5, 0.0]
    """
    return _softmax(x, axis, False, validate, n_threads)


def log_softmax(x: Any, axis: int = -1, *, validate: bool = True, n_threads: int | None = None) -> np.ndarray:
    """Log-softmax ``x - logsumexp(x)`` along an axis (see :func:`softmax`).

    Examples
    --------
    >>> import numpy as np, infogen
    >>> np.allclose(infogen.log_softmax([1.0, 1.0]), np.log([0.5, 0.5]))
    True
    """
    return _softmax(x, axis, True, validate, n_threads)


def information_content(p: Any = None, *, log_p: Any = None, logits: Any = None, axis: int = -1,
                        base: float | None = None, validate: bool = True,
                        n_threads: int | None = None) -> np.ndarray:
    """Information content (surprisal) ``-log p`` of each event.

    Parameters
    ----------
    p : array_like, optional
        Probabilities in [0, 1] (need not sum to 1: each entry is one event).
    log_p : array_like, optional
        Natural-log probabilities (<= 0).
    logits : array_like, optional
        Unnormalised log-probabilities, normalised along ``axis``.
    axis : int, default=-1
        Axis to normalise logits along.
    base : float, optional
        Logarithm base of the result (None: e, nats; 2: bits).
    validate : bool, default=True
        Check the input.
    n_threads : int, optional
        Threads to use.

    Returns
    -------
    ndarray
        Same shape as the input; ``p = 0`` gives ``+inf``.

    Examples
    --------
    The lecture's clean-air day (1 in 10) and bridge repair (1 in 1000), in bits:

    >>> import infogen
    >>> infogen.information_content([0.1, 0.001], base=2).round(3).tolist()
    [3.322, 9.966]
    """
    x, code, name = _pick("information_content", p, log_p, logits, ("p", "log_p", "logits"))
    arr = v.as_float_array(x, name)
    x2, lead = v.rows_view(arr, axis, name)
    threads = resolve_threads(n_threads)
    if validate:
        if code == v.PROBS:
            v.check_range(x2, name, lead, threads, 0.0, 1.0, what="probabilities in [0, 1]")
        elif code == v.LOG_PROBS:
            v.check_range(x2, name, lead, threads, -np.inf, 0.0, what="log-probabilities <= 0")
        else:
            v.check_distribution(x2, code, name, lead, threads)
    out = v.core_fn("information_content", x2.dtype)(x2, code, 1.0 / _log_base(base), threads)
    return np.moveaxis(out.reshape(*lead, x2.shape[1]), -1, axis)


def entropy(p: Any = None, *, log_p: Any = None, logits: Any = None, axis: int = -1,
            base: float | None = None, validate: bool = True, n_threads: int | None = None) -> Any:
    """Shannon entropy ``H(p) = -sum p log p`` along an axis.

    Parameters
    ----------
    p : array_like, optional
        Probabilities; each row must sum to 1 (not renormalised).
    log_p : array_like, optional
        Natural-log probabilities instead of ``p``.
    logits : array_like, optional
        Unnormalised log-probabilities instead of ``p`` (normalised in log space).
    axis : int, default=-1
        The distribution's axis.
    base : float, optional
        Logarithm base (None: nats; 2: bits).
    validate : bool, default=True
        Check the input (see the module notes).
    n_threads : int, optional
        Threads to use.

    Returns
    -------
    ndarray or scalar
        One entropy per distribution.

    See Also
    --------
    scipy.stats.entropy : renormalises its input; infogen refuses unnormalised rows.

    Examples
    --------
    The bridge is fine 9 days in 10:

    >>> import infogen
    >>> round(float(infogen.entropy([0.9, 0.1, 0.0], base=2)), 4)
    0.469
    """
    if validate and p is not None and log_p is None and logits is None:
        # Probabilities: validate from the row sums and minima the kernel returns with the
        # entropies (one pass over the data); a flagged row gets the full diagnosis.
        x2, code, lead, threads = _one("entropy", p, log_p, logits, axis, False, n_threads)
        out, sums, mins = v.core_fn("entropy_stats", x2.dtype)(x2, 1.0 / _log_base(base), threads)
        tol = v.SUM_TOLERANCE[x2.dtype]
        if not (np.all(mins >= 0) and np.all(np.abs(sums - 1.0) <= tol)):  # NaN fails both
            v.check_distribution(x2, code, "p", lead, threads)
        return _finish(out, lead)
    x2, code, lead, threads = _one("entropy", p, log_p, logits, axis, validate, n_threads)
    out = v.core_fn("entropy", x2.dtype)(x2, code, 1.0 / _log_base(base), threads)
    return _finish(out, lead)


def _two_measure(kernel: str, doc_name: str, p, q, log_p, log_q, logits_p, logits_q, axis, base, validate,
                 n_threads):
    p2, cp, q2, cq, lead, threads = _two(doc_name, p, q, log_p, log_q, logits_p, logits_q, axis, validate,
                                         n_threads)
    out = v.core_fn(kernel, p2.dtype)(p2, cp, q2, cq, 1.0 / _log_base(base), threads)
    return _finish(out, lead)


def cross_entropy(p: Any = None, q: Any = None, *, log_p: Any = None, log_q: Any = None,
                  logits_p: Any = None, logits_q: Any = None, axis: int = -1, base: float | None = None,
                  validate: bool = True, n_threads: int | None = None) -> Any:
    """Cross-entropy ``H(p, q) = -sum p log q`` along an axis.

    Each of ``p`` and ``q`` is given once, as probabilities (positional), natural-log
    probabilities (``log_p``/``log_q``) or logits (``logits_p``/``logits_q``); the two are
    broadcast together. ``p > 0`` where ``q = 0`` gives ``+inf``.

    Returns
    -------
    ndarray or scalar
        One value per pair of distributions.

    Examples
    --------
    >>> import infogen
    >>> round(float(infogen.cross_entropy([0.9, 0.1, 0.0], [0.1, 0.5, 0.4])), 4)
    2.1416
    """
    return _two_measure("cross_entropy", "cross_entropy", p, q, log_p, log_q, logits_p, logits_q, axis, base,
                        validate, n_threads)


def kl_divergence(p: Any = None, q: Any = None, *, log_p: Any = None, log_q: Any = None,
                  logits_p: Any = None, logits_q: Any = None, axis: int = -1, base: float | None = None,
                  validate: bool = True, n_threads: int | None = None) -> Any:
    """Kullback-Leibler divergence ``KL(p || q) = sum p log(p / q)`` along an axis.

    Arguments as in :func:`cross_entropy`. ``KL(p||q) = H(p, q) - H(p)``; it is not
    symmetric, and it is ``+inf`` when ``q`` gives zero probability to an event ``p``
    allows.

    Returns
    -------
    ndarray or scalar
        One divergence per pair of distributions.

    See Also
    --------
    scipy.stats.entropy : ``entropy(p, q)`` is the same quantity (after renormalising).

    Examples
    --------
    The bridge (P = 0.9/0.1/0) against the changed world Q = 0.1/0.5/0.4, both ways:

    >>> import infogen
    >>> P, Q = [0.9, 0.1, 0.0], [0.1, 0.5, 0.4]
    >>> round(float(infogen.kl_divergence(P, Q)), 4), float(infogen.kl_divergence(Q, P))
    (1.8166, inf)
    """
    return _two_measure("kl_divergence", "kl_divergence", p, q, log_p, log_q, logits_p, logits_q, axis, base,
                        validate, n_threads)


def js_divergence(p: Any = None, q: Any = None, *, log_p: Any = None, log_q: Any = None,
                  logits_p: Any = None, logits_q: Any = None, axis: int = -1, base: float | None = None,
                  validate: bool = True, n_threads: int | None = None) -> Any:
    """Jensen-Shannon divergence ``(KL(p||m) + KL(q||m)) / 2`` with ``m = (p + q) / 2``.

    Arguments as in :func:`cross_entropy`. Symmetric, finite, at most ``log 2``
    (1 bit with ``base=2``). ``scipy.spatial.distance.jensenshannon`` returns its square
    root (the JS distance).

    Examples
    --------
    >>> import infogen
    >>> float(infogen.js_divergence([1.0, 0.0], [0.0, 1.0], base=2))
    1.0
    """
    return _two_measure("js_divergence", "js_divergence", p, q, log_p, log_q, logits_p, logits_q, axis, base,
                        validate, n_threads)


_REDUCTIONS = {"none": 0, "sum": 1, "mean": 2}


def binary_cross_entropy(y: Any, p: Any = None, *, logits: Any = None, reduction: str = "mean",
                         axis: int = -1, return_grad: bool = False, validate: bool = True,
                         n_threads: int | None = None) -> Any:
    """Binary cross-entropy ``-[y log p + (1 - y) log(1 - p)]``.

    The loss of a binary classifier (the lecture's blueberry = 1 / strawberry = 0), and the
    Bernoulli reconstruction term of a VAE. Pass predictions either as probabilities
    ``p`` or as ``logits`` (then ``p = sigmoid(logits)`` is never formed: the loss is
    ``softplus(z) - y z``, exact for any finite ``z``).

    Parameters
    ----------
    y : array_like
        Targets in [0, 1] (soft labels allowed).
    p : array_like, optional
        Predicted probabilities in [0, 1]; broadcast against ``y``.
    logits : array_like, optional
        Predicted logits instead of ``p``.
    reduction : {"mean", "sum", "none"}, default="mean"
        Reduce over the last axis (``axis``) by mean or sum, or return every element.
        Leading axes are never reduced: a (batch, features) input gives one loss per row.
    axis : int, default=-1
        The axis reduced.
    return_grad : bool, default=False
        Also return the gradient of the (reduced) loss with respect to ``p`` or ``logits``
        (for logits: ``(sigmoid(z) - y)``, divided by the row length for "mean").
    validate : bool, default=True
        Check ranges and NaN.
    n_threads : int, optional
        Threads to use.

    Returns
    -------
    loss : ndarray or scalar
    grad : ndarray
        Only with ``return_grad=True``; same shape as ``y``.

    Examples
    --------
    >>> import infogen
    >>> round(float(infogen.binary_cross_entropy([1.0, 0.0], [0.9, 0.2])), 4)
    0.1643
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {sorted(_REDUCTIONS)}, got {reduction!r}")
    xp, code, name = _pick("binary_cross_entropy", p, None, logits, ("p", "", "logits"))
    ay, ap = v.as_float_array(y, "y"), v.as_float_array(xp, name)
    dtype = v.common_float_dtype(ay, ap)
    try:
        ay, ap = np.broadcast_arrays(ay.astype(dtype, copy=False), ap.astype(dtype, copy=False))
    except ValueError as exc:
        raise ValueError(f"binary_cross_entropy: y of shape {np.shape(y)} and {name} of shape "
                         f"{np.shape(xp)} do not broadcast together") from exc
    y2, lead = v.rows_view(ay, axis, "y")
    p2, _ = v.rows_view(ap, axis, name)
    threads = resolve_threads(n_threads)
    if validate:
        v.check_range(y2, "y", lead, threads, 0.0, 1.0, what="targets in [0, 1]")
        if code == v.PROBS:
            v.check_range(p2, name, lead, threads, 0.0, 1.0, what="probabilities in [0, 1]")
        else:
            fmax = float(np.finfo(p2.dtype).max)
            v.check_range(p2, name, lead, threads, -fmax, fmax, what="finite logits")
    loss, grad = v.core_fn("binary_cross_entropy", dtype)(y2, p2, code == v.LOGITS, _REDUCTIONS[reduction],
                                                           bool(return_grad), threads)
    if reduction == "none":
        loss = np.moveaxis(loss.reshape(*lead, y2.shape[1]), -1, axis)
    else:
        loss = _finish(loss, lead)
    if return_grad:
        return loss, np.moveaxis(grad.reshape(*lead, y2.shape[1]), -1, axis)
    return loss


def gaussian_kl(mu_q: Any, logvar_q: Any, mu_p: Any = 0.0, logvar_p: Any = 0.0, *, axis: int = -1,
                return_grad: bool = False, validate: bool = True, n_threads: int | None = None) -> Any:
    """KL divergence between diagonal Gaussians, summed over the latent axis.

    ``KL(N(mu_q, diag exp(logvar_q)) || N(mu_p, diag exp(logvar_p)))``
    ``= 1/2 sum [logvar_p - logvar_q + (exp(logvar_q) + (mu_q - mu_p)^2) / exp(logvar_p) - 1]``,
    the VAE's regulariser (with the defaults, the KL to the standard normal prior).

    Parameters
    ----------
    mu_q, logvar_q : array_like
        Mean and log-variance of q, same shape (..., n_latent).
    mu_p, logvar_p : array_like or float, default=0.0
        Mean and log-variance of p, broadcast to ``mu_q``.
    axis : int, default=-1
        The latent axis (summed over).
    return_grad : bool, default=False
        Also return ``dKL/dmu_q = (mu_q - mu_p) / var_p`` and
        ``dKL/dlogvar_q = (var_q / var_p - 1) / 2``.
    validate : bool, default=True
        Reject NaN and infinities.
    n_threads : int, optional
        Threads to use.

    Returns
    -------
    kl : ndarray or scalar
        One value per leading index.
    grad_mu, grad_logvar : ndarray
        Only with ``return_grad=True``.

    Examples
    --------
    >>> import infogen
    >>> float(infogen.gaussian_kl([0.0, 0.0], [0.0, 0.0]))
    0.0
    >>> round(float(infogen.gaussian_kl([1.0], [0.0])), 3)
    0.5
    """
    names = ("mu_q", "logvar_q", "mu_p", "logvar_p")
    arrays = [v.as_float_array(a, n) for a, n in zip((mu_q, logvar_q, mu_p, logvar_p), names)]
    dtype = v.common_float_dtype(*arrays[:2]) if all(np.ndim(a) == 0 for a in arrays[2:]) \
        else v.common_float_dtype(*arrays)
    arrays = [a.astype(dtype, copy=False) for a in arrays]
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(f"gaussian_kl: mu_q {arrays[0].shape} and logvar_q {arrays[1].shape} must have the "
                         "same shape")
    shape = arrays[0].shape
    rows: list[np.ndarray | None] = []
    lead: tuple[int, ...] = ()
    threads = resolve_threads(n_threads)
    for i, (a, n) in enumerate(zip(arrays, names)):
        if i >= 2 and a.ndim == 0 and float(a) == 0.0:
            rows.append(None)  # the standard-normal prior needs no array
            continue
        try:
            a = np.broadcast_to(a, shape)
        except ValueError as exc:
            raise ValueError(f"gaussian_kl: {n} of shape {a.shape} does not broadcast to {shape}") from exc
        a2, lead_i = v.rows_view(a, axis, n)
        if i == 0:
            lead = lead_i
        if validate:
            fmax = float(np.finfo(dtype).max)
            v.check_range(a2, n, lead_i, threads, -fmax, fmax, what="finite")
        rows.append(a2)
    kl, g_mu, g_lv = v.core_fn("gaussian_kl", dtype)(rows[0], rows[1], rows[2], rows[3], bool(return_grad),
                                                      threads)
    kl = _finish(kl, lead)
    if not return_grad:
        return kl
    n = shape[axis]
    return (kl, np.moveaxis(g_mu.reshape(*lead, n), -1, axis), np.moveaxis(g_lv.reshape(*lead, n), -1, axis))


def perplexity(log_probs: Any, *, axis: int = -1, base: float | None = None, validate: bool = True,
               n_threads: int | None = None) -> Any:
    """Perplexity ``exp(-mean(log_probs))`` along an axis.

    The exponentiated average surprisal of N observed events - the lecture's "1/N
    normalisation": ``(prod p_i) ** (-1/N)``.

    Parameters
    ----------
    log_probs : array_like
        Log-probabilities of the observed events (natural log unless ``base``).
    axis : int, default=-1
        Axis of the events.
    base : float, optional
        Base of ``log_probs`` (e.g. 10 for KenLM's log10 scores, 2 for bits).
    validate : bool, default=True
        Reject NaN and ``+inf``.
    n_threads : int, optional
        Threads to use.

    Examples
    --------
    A fair die: every roll has probability 1/6, perplexity 6.

    >>> import numpy as np, infogen
    >>> round(float(infogen.perplexity(np.log(np.full(10, 1 / 6)))), 10)
    6.0
    """
    x2, lead = v.rows_view(v.as_float_array(log_probs, "log_probs"), axis, "log_probs")
    threads = resolve_threads(n_threads)
    if validate:
        v.check_range(x2, "log_probs", lead, threads, -np.inf, float(np.finfo(x2.dtype).max),
                      what="log-probabilities (no NaN or +inf)")
    out = v.core_fn("perplexity", x2.dtype)(x2, _log_base(base), threads)
    return _finish(out, lead)


def _joint(joint: Any, validate: bool, n_threads: int | None):
    arr = v.as_float_array(joint, "joint")
    if arr.ndim < 2:
        raise ValueError(f"joint must be a 2-D table p(x, y) (or a batch of them), got shape {arr.shape}")
    if arr.shape[-1] == 0 or arr.shape[-2] == 0:
        raise ValueError(f"joint has an empty axis (shape {arr.shape})")
    lead = arr.shape[:-2]
    j3 = np.ascontiguousarray(arr).reshape(-1, arr.shape[-2], arr.shape[-1])
    threads = resolve_threads(n_threads)
    if validate:
        v.check_distribution(j3.reshape(j3.shape[0], -1), v.PROBS, "joint", lead, threads)
    return j3, lead, threads


def mutual_information(joint: Any, *, base: float | None = None, validate: bool = True,
                       n_threads: int | None = None) -> Any:
    """Mutual information ``I(X; Y)`` of a joint probability table ``p(x, y)``.

    Parameters
    ----------
    joint : array_like of shape (..., n_x, n_y)
        Joint probabilities (the whole table sums to 1); leading axes are a batch.
    base : float, optional
        Logarithm base.
    validate : bool, default=True
        Check the table.
    n_threads : int, optional
        Threads to use.

    Examples
    --------
    >>> import infogen
    >>> float(infogen.mutual_information([[0.5, 0.0], [0.0, 0.5]], base=2))
    1.0
    >>> float(infogen.mutual_information([[0.25, 0.25], [0.25, 0.25]]))
    0.0
    """
    j3, lead, threads = _joint(joint, validate, n_threads)
    mi, _, _ = v.core_fn("joint_measures", j3.dtype)(j3, 1.0 / _log_base(base), threads)
    return _finish(mi, lead)


def conditional_entropy(joint: Any, *, given: str = "rows", base: float | None = None, validate: bool = True,
                        n_threads: int | None = None) -> Any:
    """Conditional entropy of a joint table ``p(x, y)`` (x indexes rows, y columns).

    Parameters
    ----------
    joint : array_like of shape (..., n_x, n_y)
        Joint probabilities.
    given : {"rows", "columns"}, default="rows"
        ``"rows"`` gives ``H(Y | X)``; ``"columns"`` gives ``H(X | Y)``.
    base : float, optional
        Logarithm base.
    validate : bool, default=True
        Check the table.
    n_threads : int, optional
        Threads to use.

    Examples
    --------
    >>> import infogen
    >>> float(infogen.conditional_entropy([[0.25, 0.25], [0.25, 0.25]], base=2))
    1.0
    """
    if given not in ("rows", "columns"):
        raise ValueError(f"given must be 'rows' or 'columns', got {given!r}")
    j3, lead, threads = _joint(joint, validate, n_threads)
    _, hyx, hxy = v.core_fn("joint_measures", j3.dtype)(j3, 1.0 / _log_base(base), threads)
    return _finish(hyx if given == "rows" else hxy, lead)
