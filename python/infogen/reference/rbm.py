"""Plain NumPy references of the RBM kernels, including brute-force enumeration.

Parameters follow scikit-learn's layout: ``W`` of shape (n_hidden, n_visible), visible
biases ``b`` (n_visible,), hidden biases ``c`` (n_hidden,). Everything is computed in
float64 with the most direct formula; the enumeration helpers are exponential in the
number of units and meant for tiny models (m, n <= ~12).
"""
from __future__ import annotations

import itertools

import numpy as np
from scipy.special import expit, logsumexp

__all__ = [
    "all_states",
    "hidden_probs",
    "visible_probs",
    "energy",
    "free_energy",
    "log_partition_brute",
    "log_partition_enumerate_smaller",
    "log_likelihood_brute",
    "pseudo_likelihood",
    "exact_gradient",
    "expected_cd1_update",
    "joint_table",
    "pcd_epoch",
]


def _f(x):
    return np.asarray(x, dtype=np.float64)


def all_states(n: int) -> np.ndarray:
    """All 2^n binary vectors of length n, as rows (lexicographic order)."""
    return np.array(list(itertools.product((0.0, 1.0), repeat=n)), dtype=np.float64).reshape(-1, n)


def hidden_probs(W, b, c, V):
    """P(H = 1 | V) = sigmoid(V W^T + c)."""
    return expit(_f(V) @ _f(W).T + _f(c))


def visible_probs(W, b, c, H):
    """P(V = 1 | H) = sigmoid(H W + b)."""
    return expit(_f(H) @ _f(W) + _f(b))


def energy(W, b, c, V, H):
    """E(v, h) = -v.b - h.c - v W^T h, row-wise."""
    V, H = _f(V), _f(H)
    return -(V @ _f(b)) - (H @ _f(c)) - np.einsum("ri,ji,rj->r", V, _f(W), H)


def free_energy(W, b, c, V):
    """F(v) = -v.b - sum_j log(1 + exp(c_j + (v W^T)_j)), row-wise."""
    V = _f(V)
    return -(V @ _f(b)) - np.logaddexp(0.0, V @ _f(W).T + _f(c)).sum(axis=1)


def joint_table(W, b, c) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (v, h) pairs and their unnormalised log-probabilities -E(v, h)."""
    W = _f(W)
    n, m = W.shape
    Vs, Hs = all_states(m), all_states(n)
    V = np.repeat(Vs, len(Hs), axis=0)
    H = np.tile(Hs, (len(Vs), 1))
    return V, H, -energy(W, b, c, V, H)


def log_partition_brute(W, b, c) -> float:
    """Log Z by summing exp(-E(v, h)) over every (v, h) pair."""
    return float(logsumexp(joint_table(W, b, c)[2]))


def log_partition_enumerate_smaller(W, b, c) -> float:
    """Log Z by enumerating the smaller layer and summing the other out analytically."""
    W = _f(W)
    n, m = W.shape
    if n <= m:
        Hs = all_states(n)
        return float(logsumexp(Hs @ _f(c) + np.logaddexp(0.0, Hs @ W + _f(b)).sum(axis=1)))
    Vs = all_states(m)
    return float(logsumexp(-free_energy(W, b, c, Vs)))


def log_likelihood_brute(W, b, c, V) -> np.ndarray:
    """Log p(v) = log sum_h exp(-E(v, h)) - log Z, by enumeration over h."""
    W = _f(W)
    Hs = all_states(W.shape[0])
    V = _f(V)
    lz = log_partition_brute(W, b, c)
    out = np.empty(len(V))
    for r, v in enumerate(V):
        out[r] = logsumexp(-energy(W, b, c, np.tile(v, (len(Hs), 1)), Hs)) - lz
    return out


def column_totals(X) -> np.ndarray:
    """Sums of X's columns in double precision (counts of ones, for binary data)."""
    return np.asarray(X).sum(axis=0, dtype=np.float64)


def pseudo_likelihood(W, b, c, V) -> np.ndarray:
    """sum_i log P(v_i | v_-i), row-wise, by flipping each bit and comparing free energies."""
    V = _f(V)
    f0 = free_energy(W, b, c, V)
    out = np.zeros(len(V))
    for i in range(V.shape[1]):
        Vf = V.copy()
        Vf[:, i] = 1.0 - Vf[:, i]
        out += -np.logaddexp(0.0, -(free_energy(W, b, c, Vf) - f0))
    return out


def exact_gradient(W, b, c, X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradient of the mean exact log-likelihood of the rows of X w.r.t. (W, b, c).

    d/dW_ji = E_data[P(h_j|v) v_i] - E_model[h_j v_i] (the lecture's two expectations),
    with the model term computed by enumerating every (v, h).
    """
    X = _f(X)
    ph = hidden_probs(W, b, c, X)
    pos_W, pos_b, pos_c = ph.T @ X / len(X), X.mean(axis=0), ph.mean(axis=0)
    V, H, logp = joint_table(W, b, c)
    p = np.exp(logp - logsumexp(logp))
    neg_W = (H * p[:, None]).T @ V
    return pos_W - neg_W, pos_b - p @ V, pos_c - p @ H


def expected_cd1_update(W, b, c, X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the expected CD-1 gradient (before the learning rate) over the sampling noise.

    h0 ~ P(h|x), v1 ~ P(v|h0); the update is P(h|x) x^T - E[P(h|v1) v1^T] (and the bias
    analogues), with the expectation over v1 computed exactly by enumeration.
    """
    W = _f(W)
    X = _f(X)
    n, m = W.shape
    Hs, Vs = all_states(n), all_states(m)
    ph_x = hidden_probs(W, b, c, X)                        # (B, n)
    p_h = np.prod(np.where(Hs[None] > 0, ph_x[:, None], 1 - ph_x[:, None]), axis=2)  # (B, 2^n)
    pv_h = visible_probs(W, b, c, Hs)                      # (2^n, m)
    p_v_given_h = np.prod(np.where(Vs[None] > 0, pv_h[:, None], 1 - pv_h[:, None]), axis=2)  # (2^n, 2^m)
    p_v1 = p_h @ p_v_given_h                               # (B, 2^m)
    ph_v = hidden_probs(W, b, c, Vs)                       # (2^m, n)
    w = p_v1.mean(axis=0)                                  # average over the batch
    neg_W = (ph_v * w[:, None]).T @ Vs
    return (ph_x.T @ X / len(X) - neg_W, X.mean(axis=0) - w @ Vs, ph_x.mean(axis=0) - w @ ph_v)


def pcd_epoch(W, b, c, chain, X, batch_size, learning_rate, rng):
    """One epoch of PCD-1 in plain NumPy (scikit-learn's update rule), in place.

    ``chain`` holds the persistent hidden states (batch_size, n_hidden). Minibatches are
    taken in row order. Returns the updated (W, b, c, chain).
    """
    for start in range(0, len(X), batch_size):
        v = X[start:start + batch_size]
        ph = expit(v @ W.T + c)
        pv = expit(chain @ W + b)
        v_neg = (rng.random(pv.shape) < pv).astype(W.dtype)
        ph_neg = expit(v_neg @ W.T + c)
        lr = learning_rate / len(v)
        scale = len(v) / len(v_neg)  # the chain may have more rows than a short last batch
        W += lr * (ph.T @ v - scale * (ph_neg.T @ v_neg))
        b += lr * (v.sum(axis=0) - scale * v_neg.sum(axis=0))
        c += lr * (ph.sum(axis=0) - scale * ph_neg.sum(axis=0))
        chain = (rng.random(ph_neg.shape) < ph_neg).astype(W.dtype)
    return W, b, c, chain
