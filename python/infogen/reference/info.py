"""Plain-Python references for the information measures (one distribution at a time).

Written with the ``math`` module and ``math.fsum`` (exactly rounded sums), for clarity and
accuracy rather than speed: the tests and benchmarks compare the C++ kernels with these.
Each function takes one 1-D sequence (one row); :func:`rowwise` maps one over a batch.
"""
from __future__ import annotations

import decimal
import math
from collections.abc import Callable, Sequence

import numpy as np

INF = math.inf


def _to_floats(x: Sequence[float]) -> list[float]:
    return [float(t) for t in x]


def logsumexp(x: Sequence[float], b: Sequence[float] | None = None) -> float:
    """``log(sum(b * exp(x)))`` with the max shift."""
    xs = _to_floats(x)
    ws = [1.0] * len(xs) if b is None else _to_floats(b)
    if any(math.isnan(t) for t in xs) or any(math.isnan(w) for w in ws):
        return math.nan
    live = [t for t, w in zip(xs, ws) if w > 0]
    if not live:
        return -INF
    m = max(live)
    if math.isinf(m):
        return m
    return m + math.log(math.fsum(w * math.exp(t - m) for t, w in zip(xs, ws) if w > 0))


# --- exact references in 60-digit decimal arithmetic (no max shift, no log1p) -----------
_CTX = decimal.Context(prec=60, Emin=-999999, Emax=999999)


def _dec(t: float) -> decimal.Decimal:
    return decimal.Decimal(float(t))  # exact: every double is a finite decimal


def logsumexp_exact(x: Sequence[float], b: Sequence[float] | None = None) -> tuple[float, float]:
    """``(log|sum b exp(x)|, sign of the sum)``, computed in 60-digit decimal arithmetic.

    Shares nothing with the kernels' algorithm: every term is exponentiated as it is
    (no shift by the maximum), summed exactly enough, and the log taken once. Zero
    weights leave their entry out; NaN gives (NaN, NaN); a +inf entry with a non-zero
    weight gives (+inf, sign of its weights' sum), or NaN when those cancel.
    """
    xs = _to_floats(x)
    ws = [1.0] * len(xs) if b is None else _to_floats(b)
    live = [(t, w) for t, w in zip(xs, ws) if w != 0.0]
    if any(math.isnan(t) or math.isnan(w) for t, w in live) or any(math.isnan(w) for w in ws):
        return math.nan, math.nan
    inf_w = math.fsum(w for t, w in live if t == INF)
    if any(t == INF for t, _ in live):
        return (math.nan, math.nan) if inf_w == 0 else (INF, math.copysign(1.0, inf_w))
    total = decimal.Decimal(0)
    for t, w in live:
        if t != -INF:
            total = _CTX.add(total, _CTX.multiply(_dec(w), _CTX.exp(_dec(t))))
    if total == 0:
        return -INF, 0.0
    return float(_CTX.ln(total.copy_abs())), (1.0 if total > 0 else -1.0)


def rel_entr(x: float, y: float) -> float:
    """``x log(x / y)`` (scipy.special.rel_entr's cases), in 60-digit decimal arithmetic."""
    x, y = float(x), float(y)
    if math.isnan(x) or math.isnan(y):
        return math.nan
    if x > 0 and y > 0:
        if math.isinf(x) or math.isinf(y):
            return x * math.log(x / y) if not (math.isinf(x) and math.isinf(y)) else math.nan
        return float(_CTX.multiply(_dec(x), _CTX.ln(_CTX.divide(_dec(x), _dec(y)))))
    if x == 0 and y >= 0:
        return 0.0
    return INF


def kl_div(x: float, y: float) -> float:
    """``x log(x / y) - x + y`` (scipy.special.kl_div's cases), in 60-digit decimal arithmetic."""
    x, y = float(x), float(y)
    if math.isnan(x) or math.isnan(y):
        return math.nan
    if x > 0 and y > 0:
        if math.isinf(x) or math.isinf(y):
            return rel_entr(x, y) - x + y
        d = _CTX.multiply(_dec(x), _CTX.ln(_CTX.divide(_dec(x), _dec(y))))
        return float(_CTX.add(_CTX.subtract(d, _dec(x)), _dec(y)))
    if x == 0 and y >= 0:
        return y
    return INF


def entr(x: float) -> float:
    """``-x log x`` (scipy.special.entr's cases), in 60-digit decimal arithmetic."""
    x = float(x)
    if math.isnan(x):
        return x
    if x > 0:
        if math.isinf(x):
            return -INF
        return float(-_CTX.multiply(_dec(x), _CTX.ln(_dec(x))))
    return 0.0 if x == 0 else -INF


def log_softmax(x: Sequence[float]) -> list[float]:
    """``x - logsumexp(x)``."""
    lse = logsumexp(x)
    return [t - lse for t in _to_floats(x)]


def softmax(x: Sequence[float]) -> list[float]:
    """``exp(log_softmax(x))``."""
    return [math.exp(t) for t in log_softmax(x)]


def _xlogy(p: float, log_q: float) -> float:
    """``p * log_q`` with ``0 * log 0 = 0``."""
    return 0.0 if p == 0.0 else p * log_q


def _log(p: float) -> float:
    return -INF if p == 0.0 else math.log(p)


def information_content(p: float, base: float | None = None) -> float:
    """``-log p`` (in ``base``)."""
    return -_log(float(p)) / (math.log(base) if base else 1.0)


def entropy(p: Sequence[float], base: float | None = None) -> float:
    """``-sum p log p``."""
    ps = _to_floats(p)
    return -math.fsum(_xlogy(t, _log(t)) for t in ps) / (math.log(base) if base else 1.0)


def entropy_from_log(log_p: Sequence[float]) -> float:
    """Entropy of a distribution given by natural-log probabilities."""
    return -math.fsum(math.exp(t) * t for t in _to_floats(log_p) if t != -INF)


def cross_entropy(p: Sequence[float], q: Sequence[float], base: float | None = None) -> float:
    """``-sum p log q``; ``+inf`` where ``p > 0 = q``."""
    terms = []
    for a, b in zip(_to_floats(p), _to_floats(q)):
        if a == 0.0:
            continue
        if b == 0.0:
            return INF
        terms.append(a * math.log(b))
    return -math.fsum(terms) / (math.log(base) if base else 1.0)


def cross_entropy_from_log(log_p: Sequence[float], log_q: Sequence[float]) -> float:
    """Cross-entropy of distributions given by natural-log probabilities."""
    terms = []
    for a, b in zip(_to_floats(log_p), _to_floats(log_q)):
        if a == -INF:
            continue
        if b == -INF:
            return INF
        terms.append(math.exp(a) * b)
    return -math.fsum(terms)


def kl_divergence(p: Sequence[float], q: Sequence[float], base: float | None = None) -> float:
    """``sum p log(p / q)``; ``+inf`` where ``p > 0 = q``."""
    terms = []
    for a, b in zip(_to_floats(p), _to_floats(q)):
        if a == 0.0:
            continue
        if b == 0.0:
            return INF
        terms.append(a * (math.log(a) - math.log(b)))
    return math.fsum(terms) / (math.log(base) if base else 1.0)


def kl_divergence_from_log(log_p: Sequence[float], log_q: Sequence[float]) -> float:
    """KL divergence of distributions given by natural-log probabilities."""
    terms = []
    for a, b in zip(_to_floats(log_p), _to_floats(log_q)):
        if a == -INF:
            continue
        if b == -INF:
            return INF
        terms.append(math.exp(a) * (a - b))
    return math.fsum(terms)


def js_divergence(p: Sequence[float], q: Sequence[float], base: float | None = None) -> float:
    """``(KL(p||m) + KL(q||m)) / 2`` with ``m = (p + q) / 2``.

    ``log m`` is taken as ``log(p + q) - log 2``: halving the smallest subnormal gives 0,
    and a zero ``m`` beside a positive ``p`` or ``q`` would make the divergence infinite,
    where it is at most ``log 2``.
    """
    terms = []
    for a, b in zip(_to_floats(p), _to_floats(q)):
        for x in (a, b):
            if x > 0.0:
                terms.append(x * (math.log(x) - (math.log(a + b) - math.log(2.0))))
    return math.fsum(terms) / 2 / (math.log(base) if base else 1.0)


def binary_cross_entropy(y: float, p: float) -> float:
    """``-[y log p + (1 - y) log(1 - p)]`` for one target and probability."""
    y, p = float(y), float(p)
    a = 0.0 if y == 0.0 else -y * _log(p)
    b = 0.0 if y == 1.0 else -(1.0 - y) * (-INF if p == 1.0 else math.log1p(-p))
    return a + b


def binary_cross_entropy_logits(y: float, z: float) -> float:
    """Binary cross-entropy against a logit: ``softplus(z) - y z``."""
    y, z = float(y), float(z)
    return max(z, 0.0) - y * z + math.log1p(math.exp(-abs(z)))


def gaussian_kl(mu_q: Sequence[float], logvar_q: Sequence[float], mu_p: Sequence[float] | None = None,
                logvar_p: Sequence[float] | None = None) -> float:
    """KL between diagonal Gaussians, summed over dimensions."""
    n = len(mu_q)
    mp = [0.0] * n if mu_p is None else _to_floats(mu_p)
    lp = [0.0] * n if logvar_p is None else _to_floats(logvar_p)
    terms = []
    for a, la, b, lb in zip(_to_floats(mu_q), _to_floats(logvar_q), mp, lp):
        d = la - lb
        terms += [math.expm1(d) - d, (a - b) ** 2 * math.exp(-lb)]
    return 0.5 * math.fsum(terms)


def perplexity(log_probs: Sequence[float], base: float | None = None) -> float:
    """``exp(-mean(log_probs))`` with log-probabilities in ``base``."""
    xs = _to_floats(log_probs)
    return math.exp(-math.fsum(xs) / len(xs) * (math.log(base) if base else 1.0))


def mutual_information(joint: Sequence[Sequence[float]], base: float | None = None) -> float:
    """``sum p(x,y) log(p(x,y) / (p(x) p(y)))``."""
    rows = [_to_floats(r) for r in joint]
    px = [math.fsum(r) for r in rows]
    py = [math.fsum(c) for c in zip(*rows)]
    terms = [v * (math.log(v) - math.log(px[i]) - math.log(py[j]))
             for i, r in enumerate(rows) for j, v in enumerate(r) if v > 0]
    return math.fsum(terms) / (math.log(base) if base else 1.0)


def conditional_entropy(joint: Sequence[Sequence[float]], given: str = "rows",
                        base: float | None = None) -> float:
    """``H(Y|X)`` (given="rows") or ``H(X|Y)`` (given="columns")."""
    rows = [_to_floats(r) for r in joint]
    if given == "columns":
        rows = [list(c) for c in zip(*rows)]
    terms = []
    for r in rows:
        s = math.fsum(r)
        terms += [-v * (math.log(v) - math.log(s)) for v in r if v > 0]
    return math.fsum(terms) / (math.log(base) if base else 1.0)


def rowwise(fn: Callable[..., float], *arrays: np.ndarray, **kwargs) -> np.ndarray:
    """Apply a one-row reference function to every row of 2-D arrays."""
    first = np.asarray(arrays[0])
    rows = first.reshape(-1, first.shape[-1]).shape[0]
    flat = [np.asarray(a, dtype=np.float64).reshape(rows, -1) for a in arrays]
    return np.array([fn(*(a[r] for a in flat), **kwargs) for r in range(rows)], dtype=np.float64)
