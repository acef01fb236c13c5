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
* ``axis`` is an int, a tuple of ints or None (all axes), the same rule everywhere; the
  default ``axis=-1`` reduces each row (scipy's reductions default to ``axis=None`` or
  ``0``: infogen is row-wise on purpose, batch dimensions first).
* ``nan_policy`` ("raise", "propagate" or "omit", scipy's meanings) says what NaN does in
  the reductions. The default "raise" keeps infogen's behaviour (a ValueError naming the
  first NaN); scipy's default is "propagate". "propagate" gives NaN for a row holding a
  NaN; "omit" leaves NaN entries out (for probabilities the rest must still sum to 1).
* ``n_threads=None`` uses :func:`infogen.get_num_threads`; results are bit-identical for
  any thread count and any memory alignment of the input.
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


def _pick(name: str, probs: Any, log: Any, logits: Any, names: tuple[str, str, str]) -> tuple[Any, int, str]:
    given = [(a, code, n) for a, code, n in zip((probs, log, logits), (v.PROBS, v.LOG_PROBS, v.LOGITS), names)
             if a is not None]
    if len(given) != 1:
        listed = ", ".join(n for n in names if n)
        raise TypeError(f"{name}: pass exactly one of {listed} (got {len(given)})")
    return given[0]


# --- nan_policy ---------------------------------------------------------------------------
def _absent(code: int) -> float:
    """Return the value that leaves an entry out of a distribution in this encoding."""
    return 0.0 if code == v.PROBS else -np.inf


def _fill_valid_row(x2: np.ndarray, rows: np.ndarray, code: int) -> None:
    """Overwrite `rows` of `x2` with a valid distribution (their results are replaced later)."""
    n = x2.shape[1]
    x2[rows] = {v.PROBS: 1.0 / n, v.LOG_PROBS: -math.log(n), v.LOGITS: 0.0}[code]


def _nan_policy(policy: str, xs: list[np.ndarray], codes: list[int]) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Apply `nan_policy` to row arrays of one shape (a distribution pair is treated together).

    Returns the arrays to validate and compute with (copies where changed) and the mask
    of rows whose result must be NaN (None when there are none). "raise" changes nothing:
    validation then reports the first NaN.
    """
    if policy == "raise":
        return xs, None
    where = np.isnan(xs[0])
    for x in xs[1:]:
        where |= np.isnan(x)
    if not where.any():
        return xs, None
    if policy == "propagate":
        bad = where.any(axis=1)
    else:  # omit: the entries leave the row; a row with nothing left has no value
        bad = where.all(axis=1)
    out = []
    for x, code in zip(xs, codes):
        x = x.copy()
        if policy == "omit":
            x[where] = _absent(code)
        _fill_valid_row(x, bad, code)
        out.append(x)
    return out, (bad if bad.any() else None)


def _nan_out(out: np.ndarray, bad: np.ndarray | None) -> np.ndarray:
    if bad is not None:
        out[bad] = np.nan
    return out


def _setup(name: str, x: Any, arg: str, axis: Any, base: Any, nan_policy: Any, validate: Any,
           n_threads: Any) -> tuple[v.Rows, float, str, bool, int]:
    """Check the common arguments (types first, then values) and view `x` as rows."""
    scale = 1.0 / v.log_base(base)
    policy = v.check_nan_policy(nan_policy)
    validate = v.check_bool(validate, "validate")
    threads = resolve_threads(n_threads)
    rows = v.to_rows(v.as_float_array(x, arg), axis, arg)
    return rows, scale, policy, validate, threads


# ---------------------------------------------------------------------------------------
def logsumexp(a: Any, axis: Any = -1, b: Any = None, keepdims: bool = False, return_sign: bool = False, *,
              nan_policy: str = "raise", validate: bool = True, n_threads: int | None = None) -> Any:
    """Compute ``log(sum(b * exp(a)))`` along an axis, stably and exactly in the tail.

    The sum is taken around its largest term: ``m + log1p(sum of the others / it)``, so
    a tail far below the maximum still counts (``logsumexp([0, -40])`` is ``4.25e-18``,
    not 0; scipy gh-18295).

    Parameters
    ----------
    a : array_like
        Input values.
    axis : int, tuple of ints or None, default=-1
        Axes to reduce; ``None`` reduces over all entries. (scipy's default is ``None``:
        infogen reduces each row by default, on purpose.)
    b : array_like, optional
        Weights of any sign, broadcast with ``a`` as in scipy. Entries with zero weight
        are left out, whatever ``a`` holds there. Weights must be finite.
    keepdims : bool, default=False
        Keep the reduced axes with length one.
    return_sign : bool, default=False
        Also return the sign of the sum (``1``, ``-1``, or ``0`` for an empty or zero
        sum), and ``log|sum|`` as the value. Without it, a negative sum gives NaN.
    nan_policy : {"raise", "propagate", "omit"}, default="raise"
        NaN in ``a`` or ``b``: "raise" (infogen's behaviour) raises a ValueError naming
        the first one; "propagate" gives NaN; "omit" leaves those entries out (a row of
        NaN only is an empty sum, ``-inf``).
    validate : bool, default=True
        Check the input (NaN as ``nan_policy`` says; finite weights).
    n_threads : int, optional
        Threads to use (default: :func:`infogen.get_num_threads`).

    Returns
    -------
    res : ndarray or scalar
        In ``a``'s float dtype (float32 stays float32). An all ``-inf`` row and an empty
        input give ``-inf``; a row holding ``+inf`` gives ``+inf``.
    sgn : ndarray or scalar
        Only with ``return_sign=True``: the sign of each sum (``0`` for an empty input,
        where scipy 1.17 returns ``-1``).

    See Also
    --------
    scipy.special.logsumexp : the same function and arguments (default ``axis=None``).

    Examples
    --------
    >>> import numpy as np, infogen
    >>> float(infogen.logsumexp(np.log([0.25, 0.25, 0.5])))
    0.0
    >>> float(infogen.logsumexp([0.0, -40.0]))
    4.248354255291589e-18
    >>> value, sign = infogen.logsumexp([0.0, 1.0], b=[1.0, -1.0], return_sign=True)
    >>> round(float(value), 4), float(sign)
    (0.5413, -1.0)
    """
    policy = v.check_nan_policy(nan_policy)
    keepdims = v.check_bool(keepdims, "keepdims")
    return_sign = v.check_bool(return_sign, "return_sign")
    validate = v.check_bool(validate, "validate")
    threads = resolve_threads(n_threads)
    arr = v.as_float_array(a, "a")
    wb = None
    if b is not None:
        if isinstance(b, (int, float, np.integer, np.floating)) and not isinstance(b, (bool, np.bool_)):
            wb = np.asarray(b, dtype=arr.dtype)  # a plain number keeps a's dtype, as in scipy
        else:
            wb = v.as_float_array(b, "b")
        dtype = v.common_float_dtype(arr, wb)
        try:
            arr, wb = np.broadcast_arrays(arr.astype(dtype, copy=False), wb.astype(dtype, copy=False))
        except ValueError:
            raise ValueError(f"logsumexp: a of shape {np.shape(a)} and b of shape {np.shape(b)} do not broadcast "
                             "together") from None
    rows = v.to_rows(arr, axis, "a", allow_empty=True)
    if rows.n == 0:  # an empty sum, as scipy: -inf (sign 0)
        out = np.full(rows.x2.shape[0], -np.inf, dtype=arr.dtype)
        res = rows.result(out, keepdims)
        return (res, rows.result(np.zeros_like(out), keepdims)) if return_sign else res
    x2 = rows.x2
    w2 = None if wb is None else v.to_rows(wb, axis, "b").x2
    if policy == "omit":
        nan_x = np.isnan(x2)
        nan_w = None if w2 is None else np.isnan(w2)
        if nan_x.any() or (nan_w is not None and nan_w.any()):
            if w2 is None:
                x2 = np.where(nan_x, -np.inf, x2).astype(x2.dtype, copy=False)
            else:  # zero weight leaves an entry out, whatever a holds there
                w2 = np.where(nan_x | nan_w, 0, w2).astype(w2.dtype, copy=False)
    if validate:
        if policy == "raise":
            v.check_range(x2, "a", rows.lead, threads, -np.inf, np.inf)
        if w2 is not None:
            fmax = float(np.finfo(w2.dtype).max)
            w_checked = w2 if policy == "raise" else np.where(np.isnan(w2), 0, w2).astype(w2.dtype, copy=False)
            v.check_range(w_checked, "b", rows.lead, threads, -fmax, fmax, what="finite weights")
    out, sign = v.core_fn("logsumexp", x2.dtype)(x2, w2, return_sign, threads)
    res = rows.result(out, keepdims)
    return (res, rows.result(sign, keepdims)) if return_sign else res


def _softmax(x: Any, axis: Any, log: bool, validate: Any, n_threads: int | None) -> np.ndarray:
    validate = v.check_bool(validate, "validate")
    threads = resolve_threads(n_threads)
    rows = v.to_rows(v.as_float_array(x, "x"), axis, "x")
    if validate:
        v.check_distribution(rows.x2, v.LOGITS, "x", rows.lead, threads)
    return rows.full(v.core_fn("softmax", rows.x2.dtype)(rows.x2, log, threads))


def softmax(x: Any, axis: Any = -1, *, validate: bool = True, n_threads: int | None = None) -> np.ndarray:
    """Softmax ``exp(x - logsumexp(x))`` along an axis.

    Parameters
    ----------
    x : array_like
        Logits. With ``validate=True`` a row may not hold NaN or ``+inf`` or be all ``-inf``.
    axis : int, tuple of ints or None, default=-1
        Axes along which the result sums to 1 (``None``: the whole array, as
        ``scipy.special.softmax``'s default).
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


def log_softmax(x: Any, axis: Any = -1, *, validate: bool = True, n_threads: int | None = None) -> np.ndarray:
    """Log-softmax ``x - logsumexp(x)`` along an axis (see :func:`softmax`).

    Examples
    --------
    >>> import numpy as np, infogen
    >>> np.allclose(infogen.log_softmax([1.0, 1.0]), np.log([0.5, 0.5]))
    True
    """
    return _softmax(x, axis, True, validate, n_threads)


def information_content(p: Any = None, *, log_p: Any = None, logits: Any = None, axis: Any = -1,
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
    axis : int, tuple of ints or None, default=-1
        Axes to normalise logits along (``None``: all entries).
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
    rows, scale, _, validate, threads = _setup("information_content", x, name, axis, base, "raise", validate,
                                               n_threads)
    x2 = rows.x2
    if validate:
        if code == v.PROBS:
            v.check_range(x2, name, rows.lead, threads, 0.0, 1.0, what="probabilities in [0, 1]")
        elif code == v.LOG_PROBS:
            v.check_range(x2, name, rows.lead, threads, -np.inf, 0.0, what="log-probabilities <= 0")
        else:
            v.check_distribution(x2, code, name, rows.lead, threads)
    return rows.full(v.core_fn("information_content", x2.dtype)(x2, code, scale, threads))


def entropy(p: Any = None, *, log_p: Any = None, logits: Any = None, axis: Any = -1,
            base: float | None = None, nan_policy: str = "raise", validate: bool = True,
            n_threads: int | None = None) -> Any:
    """Shannon entropy ``H(p) = -sum p log p`` along an axis.

    Parameters
    ----------
    p : array_like, optional
        Probabilities; each row must sum to 1 (not renormalised).
    log_p : array_like, optional
        Natural-log probabilities instead of ``p``.
    logits : array_like, optional
        Unnormalised log-probabilities instead of ``p`` (normalised in log space).
    axis : int, tuple of ints or None, default=-1
        The distribution's axes (scipy.stats.entropy's default is 0; infogen is row-wise).
    base : float, optional
        Logarithm base (None: nats; 2: bits).
    nan_policy : {"raise", "propagate", "omit"}, default="raise"
        What NaN does: "raise" (infogen's behaviour; scipy's default is "propagate")
        raises a ValueError naming the first NaN; "propagate" gives NaN for that row;
        "omit" leaves NaN entries out (the rest must still be a distribution: infogen
        never renormalises), and a row with nothing left gives NaN.
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
    infogen.entr : the elementwise terms ``-p log p``, as scipy.special.entr.

    Examples
    --------
    The bridge is fine 9 days in 10:

    >>> import infogen
    >>> round(float(infogen.entropy([0.9, 0.1, 0.0], base=2)), 4)
    0.469
    """
    x, code, name = _pick("entropy", p, log_p, logits, ("p", "log_p", "logits"))
    rows, scale, policy, validate, threads = _setup("entropy", x, name, axis, base, nan_policy, validate,
                                                    n_threads)
    (x2,), bad = _nan_policy(policy, [rows.x2], [code])
    if validate and code == v.PROBS:
        # Probabilities: validate from the row sums and minima the kernel returns with the
        # entropies (one pass over the data); a flagged row gets the full diagnosis.
        out, sums, mins = v.core_fn("entropy_stats", x2.dtype)(x2, scale, threads)
        tol = v.SUM_TOLERANCE[x2.dtype]
        if not (np.all(mins >= 0) and np.all(np.abs(sums - 1.0) <= tol)):  # NaN fails both
            v.check_distribution(x2, code, name, rows.lead, threads)
    else:
        if validate:
            v.check_distribution(x2, code, name, rows.lead, threads)
        out = v.core_fn("entropy", x2.dtype)(x2, code, scale, threads)
    return rows.result(_nan_out(out, bad))


def _two_measure(kernel: str, p, q, log_p, log_q, logits_p, logits_q, axis, base, nan_policy, validate,
                 n_threads):
    xp, cp, np_ = _pick(kernel, p, log_p, logits_p, ("p", "log_p", "logits_p"))
    xq, cq, nq = _pick(kernel, q, log_q, logits_q, ("q", "log_q", "logits_q"))
    scale = 1.0 / v.log_base(base)
    policy = v.check_nan_policy(nan_policy)
    validate = v.check_bool(validate, "validate")
    threads = resolve_threads(n_threads)
    ap, aq = v.as_float_array(xp, np_), v.as_float_array(xq, nq)
    dtype = v.common_float_dtype(ap, aq)
    try:
        ap, aq = np.broadcast_arrays(ap.astype(dtype, copy=False), aq.astype(dtype, copy=False))
    except ValueError:
        raise ValueError(f"{kernel}: {np_} of shape {np.shape(xp)} and {nq} of shape {np.shape(xq)} "
                         "do not broadcast together") from None
    rows = v.to_rows(ap, axis, np_)
    (p2, q2), bad = _nan_policy(policy, [rows.x2, v.to_rows(aq, axis, nq).x2], [cp, cq])
    if validate:
        v.check_distribution(p2, cp, np_, rows.lead, threads)
        v.check_distribution(q2, cq, nq, rows.lead, threads)
    out = v.core_fn(kernel, p2.dtype)(p2, cp, q2, cq, scale, threads)
    return rows.result(_nan_out(out, bad))


def cross_entropy(p: Any = None, q: Any = None, *, log_p: Any = None, log_q: Any = None,
                  logits_p: Any = None, logits_q: Any = None, axis: Any = -1, base: float | None = None,
                  nan_policy: str = "raise", validate: bool = True, n_threads: int | None = None) -> Any:
    """Cross-entropy ``H(p, q) = -sum p log q`` along an axis.

    Each of ``p`` and ``q`` is given once, as probabilities (positional), natural-log
    probabilities (``log_p``/``log_q``) or logits (``logits_p``/``logits_q``); the two are
    broadcast together. ``p > 0`` where ``q = 0`` gives ``+inf``. ``axis`` (int, tuple
    or None; default -1, row-wise, where scipy.stats.entropy reduces axis 0), ``base``,
    ``nan_policy`` (default "raise": a NaN in either is a ValueError; "propagate" gives
    NaN; "omit" leaves out the entries where either is NaN), ``validate`` and
    ``n_threads`` are as in :func:`entropy`.

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
    return _two_measure("cross_entropy", p, q, log_p, log_q, logits_p, logits_q, axis, base, nan_policy, validate,
                        n_threads)


def kl_divergence(p: Any = None, q: Any = None, *, log_p: Any = None, log_q: Any = None,
                  logits_p: Any = None, logits_q: Any = None, axis: Any = -1, base: float | None = None,
                  nan_policy: str = "raise", validate: bool = True, n_threads: int | None = None) -> Any:
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
    return _two_measure("kl_divergence", p, q, log_p, log_q, logits_p, logits_q, axis, base, nan_policy, validate,
                        n_threads)


def js_divergence(p: Any = None, q: Any = None, *, log_p: Any = None, log_q: Any = None,
                  logits_p: Any = None, logits_q: Any = None, axis: Any = -1, base: float | None = None,
                  nan_policy: str = "raise", validate: bool = True, n_threads: int | None = None) -> Any:
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
    return _two_measure("js_divergence", p, q, log_p, log_q, logits_p, logits_q, axis, base, nan_policy, validate,
                        n_threads)


_REDUCTIONS = {"none": 0, "sum": 1, "mean": 2}


def binary_cross_entropy(y: Any, p: Any = None, *, logits: Any = None, reduction: str = "mean",
                         axis: Any = -1, return_grad: bool = False, validate: bool = True,
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
    axis : int, tuple of ints or None, default=-1
        The axes reduced (``None``: all of them, one loss for the whole array).
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
    v.check_choice(reduction, "reduction", tuple(_REDUCTIONS))
    return_grad = v.check_bool(return_grad, "return_grad")
    validate = v.check_bool(validate, "validate")
    threads = resolve_threads(n_threads)
    xp, code, name = _pick("binary_cross_entropy", p, None, logits, ("p", "", "logits"))
    ay, ap = v.as_float_array(y, "y"), v.as_float_array(xp, name)
    dtype = v.common_float_dtype(ay, ap)
    try:
        ay, ap = np.broadcast_arrays(ay.astype(dtype, copy=False), ap.astype(dtype, copy=False))
    except ValueError:
        raise ValueError(f"binary_cross_entropy: y of shape {np.shape(y)} and {name} of shape "
                         f"{np.shape(xp)} do not broadcast together") from None
    rows = v.to_rows(ay, axis, "y")
    y2, p2, lead = rows.x2, v.to_rows(ap, axis, name).x2, rows.lead
    if validate:
        v.check_range(y2, "y", lead, threads, 0.0, 1.0, what="targets in [0, 1]")
        if code == v.PROBS:
            v.check_range(p2, name, lead, threads, 0.0, 1.0, what="probabilities in [0, 1]")
        else:
            fmax = float(np.finfo(p2.dtype).max)
            v.check_range(p2, name, lead, threads, -fmax, fmax, what="finite logits")
    loss, grad = v.core_fn("binary_cross_entropy", dtype)(y2, p2, code == v.LOGITS, _REDUCTIONS[reduction],
                                                           return_grad, threads)
    loss = rows.full(loss) if reduction == "none" else rows.result(loss)
    if return_grad:
        return loss, rows.full(grad)
    return loss


def gaussian_kl(mu_q: Any, logvar_q: Any, mu_p: Any = 0.0, logvar_p: Any = 0.0, *, axis: Any = -1,
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
    axis : int, tuple of ints or None, default=-1
        The latent axes (summed over; ``None``: all of them).
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
    return_grad = v.check_bool(return_grad, "return_grad")
    validate = v.check_bool(validate, "validate")
    threads = resolve_threads(n_threads)
    names = ("mu_q", "logvar_q", "mu_p", "logvar_p")
    arrays = [v.as_float_array(a, n) for a, n in zip((mu_q, logvar_q, mu_p, logvar_p), names)]
    dtype = v.common_float_dtype(*arrays[:2]) if all(np.ndim(a) == 0 for a in arrays[2:]) \
        else v.common_float_dtype(*arrays)
    arrays = [a.astype(dtype, copy=False) for a in arrays]
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(f"gaussian_kl: mu_q {arrays[0].shape} and logvar_q {arrays[1].shape} must have the "
                         "same shape")
    shape = arrays[0].shape
    layout = v.to_rows(arrays[0], axis, "mu_q")
    rows: list[np.ndarray | None] = []
    for i, (a, n) in enumerate(zip(arrays, names)):
        if i >= 2 and a.ndim == 0 and float(a) == 0.0:
            rows.append(None)  # the standard-normal prior needs no array
            continue
        try:
            a = np.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"gaussian_kl: {n} of shape {a.shape} does not broadcast to {shape}") from None
        a2 = v.to_rows(a, axis, n).x2
        if validate:
            fmax = float(np.finfo(dtype).max)
            v.check_range(a2, n, layout.lead, threads, -fmax, fmax, what="finite")
        rows.append(a2)
    kl, g_mu, g_lv = v.core_fn("gaussian_kl", dtype)(rows[0], rows[1], rows[2], rows[3], return_grad, threads)
    kl = layout.result(kl)
    if not return_grad:
        return kl
    return kl, layout.full(g_mu), layout.full(g_lv)


def perplexity(log_probs: Any, *, axis: Any = -1, base: float | None = None, nan_policy: str = "raise",
               validate: bool = True, n_threads: int | None = None) -> Any:
    """Perplexity ``exp(-mean(log_probs))`` along an axis.

    The exponentiated average surprisal of N observed events - the lecture's "1/N
    normalisation": ``(prod p_i) ** (-1/N)``.

    Parameters
    ----------
    log_probs : array_like
        Log-probabilities of the observed events (natural log unless ``base``): at most 0
        (a log-probability above the float's sum tolerance, 1e-6 in float64 and 1e-5 in
        float32, is a ValueError; ``-inf`` is an impossible event, perplexity ``inf``).
    axis : int, tuple of ints or None, default=-1
        Axes of the events (``None``: all of them).
    base : float, optional
        Base of ``log_probs`` (e.g. 10 for KenLM's log10 scores, 2 for bits): positive,
        finite and not 1.
    nan_policy : {"raise", "propagate", "omit"}, default="raise"
        NaN: "raise" (infogen's behaviour) raises a ValueError; "propagate" gives NaN;
        "omit" averages over the other events (NaN if there are none).
    validate : bool, default=True
        Reject NaN (as ``nan_policy`` says), ``+inf`` and positive log-probabilities.
    n_threads : int, optional
        Threads to use.

    Returns
    -------
    ndarray or scalar
        One perplexity per row, bit-identical whatever the thread count or the array's
        memory alignment.

    Examples
    --------
    A fair die: every roll has probability 1/6, perplexity 6.

    >>> import numpy as np, infogen
    >>> round(float(infogen.perplexity(np.log(np.full(10, 1 / 6)))), 10)
    6.0
    """
    log_b = v.log_base(base)
    rows, _, policy, validate, threads = _setup("perplexity", log_probs, "log_probs", axis, None, nan_policy,
                                                validate, n_threads)
    x2, n_valid = rows.x2, None
    if policy != "raise":
        nan = np.isnan(x2)
        if nan.any():
            if policy == "propagate":
                bad = nan.any(axis=1)
                x2 = np.where(bad[:, None], 0, x2).astype(x2.dtype, copy=False)
                n_valid = np.where(bad, 0, x2.shape[1]).astype(np.int64)  # 0 / 0: NaN
            else:
                x2 = np.where(nan, 0, x2).astype(x2.dtype, copy=False)
                n_valid = (x2.shape[1] - nan.sum(axis=1)).astype(np.int64)
    if validate:
        tol = v.SUM_TOLERANCE[x2.dtype]
        lo, hi = (-np.inf, tol) if log_b > 0 else (-tol, float(np.finfo(x2.dtype).max))
        sign = "<= 0" if log_b > 0 else ">= 0 (the base is below 1)"
        v.check_range(x2, "log_probs", rows.lead, threads, lo, hi, what=f"log-probabilities {sign}")
    out = v.core_fn("perplexity", x2.dtype)(x2, n_valid, log_b, threads)
    return rows.result(out)


def _joint(joint: Any, nan_policy: Any, validate: Any, n_threads: int | None):
    policy = v.check_nan_policy(nan_policy)
    validate = v.check_bool(validate, "validate")
    threads = resolve_threads(n_threads)
    arr = v.as_float_array(joint, "joint")
    if arr.ndim < 2:
        raise ValueError(f"joint must be a 2-D table p(x, y) (or a batch of them), got shape {arr.shape}")
    if arr.shape[-1] == 0 or arr.shape[-2] == 0:
        raise ValueError(f"joint has an empty axis (shape {arr.shape})")
    lead = arr.shape[:-2]
    j3 = np.ascontiguousarray(arr).reshape(-1, arr.shape[-2], arr.shape[-1])
    (flat,), bad = _nan_policy(policy, [j3.reshape(j3.shape[0], -1)], [v.PROBS])
    j3 = flat.reshape(j3.shape)
    if validate:
        v.check_distribution(flat, v.PROBS, "joint", lead, threads)
    return j3, lead, threads, bad


def mutual_information(joint: Any, *, base: float | None = None, nan_policy: str = "raise", validate: bool = True,
                       n_threads: int | None = None) -> Any:
    """Mutual information ``I(X; Y)`` of a joint probability table ``p(x, y)``.

    Parameters
    ----------
    joint : array_like of shape (..., n_x, n_y)
        Joint probabilities (the whole table sums to 1); leading axes are a batch.
    base : float, optional
        Logarithm base.
    nan_policy : {"raise", "propagate", "omit"}, default="raise"
        NaN cells: "raise" (infogen's behaviour), "propagate" (NaN for that table) or
        "omit" (the cell is left out; the rest must still sum to 1).
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
    scale = 1.0 / v.log_base(base)
    j3, lead, threads, bad = _joint(joint, nan_policy, validate, n_threads)
    mi, _, _ = v.core_fn("joint_measures", j3.dtype)(j3, scale, threads)
    return _nan_out(mi, bad).reshape(lead)[()]


def conditional_entropy(joint: Any, *, given: str = "rows", base: float | None = None, nan_policy: str = "raise",
                        validate: bool = True, n_threads: int | None = None) -> Any:
    """Conditional entropy of a joint table ``p(x, y)`` (x indexes rows, y columns).

    Parameters
    ----------
    joint : array_like of shape (..., n_x, n_y)
        Joint probabilities.
    given : {"rows", "columns"}, default="rows"
        ``"rows"`` gives ``H(Y | X)``; ``"columns"`` gives ``H(X | Y)``.
    base : float, optional
        Logarithm base.
    nan_policy : {"raise", "propagate", "omit"}, default="raise"
        As in :func:`mutual_information`.
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
    v.check_choice(given, "given", ("rows", "columns"))
    scale = 1.0 / v.log_base(base)
    j3, lead, threads, bad = _joint(joint, nan_policy, validate, n_threads)
    _, hyx, hxy = v.core_fn("joint_measures", j3.dtype)(j3, scale, threads)
    return _nan_out(hyx if given == "rows" else hxy, bad).reshape(lead)[()]
