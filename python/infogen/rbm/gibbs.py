"""Gibbs sampling of a discrete Markov network too large to enumerate.

Single-site Gibbs, scheduled by colour: the variables are coloured greedily so that no
two variables of one colour share a factor; those are conditionally independent given
the rest, so a whole colour is resampled at once (a pixel grid has two colours, the
checkerboard). Every factor table is flattened into one array of log-potentials; an
*incidence* (variable v in factor f) reads log phi_f at the index its other variables
give plus s times v's stride, for each state s of v. Summing a colour's incidences gives
each variable's conditional log-potentials, from which one state is drawn per chain by
inverse CDF with uniforms from NumPy's seeded ``Generator``. All chains advance together.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from infogen.rbm.markov import DiscreteMarkovNetwork

__all__ = ["GibbsSampler"]


class GibbsSampler:
    """Chromatic Gibbs sampler of `net`, with the variables of `evidence` clamped."""

    def __init__(self, net: DiscreteMarkovNetwork, evidence: dict[str, int] | None = None) -> None:
        self.names = list(net.variables)
        n = len(self.names)
        pos = {v: i for i, v in enumerate(self.names)}
        self.card = np.array([net.cardinality[v] for v in self.names], dtype=np.int64)
        self.max_card = int(self.card.max())
        self.same_card = bool(np.all(self.card == self.max_card))
        self.clamped = {pos[k]: int(v) for k, v in (evidence or {}).items()}
        # flattened log tables
        offsets, flat, chunks = [], 0, []
        with np.errstate(divide="ignore"):
            for _, table in net.factors:
                offsets.append(flat)
                chunks.append(np.log(table).ravel())
                flat += table.size
        self.log_flat = np.concatenate(chunks + [np.zeros(1)]) if chunks else np.zeros(1)
        arity = max((len(s) for s, _ in net.factors), default=1)
        neighbours: list[set[int]] = [set() for _ in range(n)]
        inc: list[tuple[int, int, int, list[int], list[int]]] = []
        for f, (scope, table) in enumerate(net.factors):
            idx = [pos[v] for v in scope]
            strides = [int(s) // table.itemsize for s in table.strides]
            for p, v in enumerate(idx):
                others = [u for q, u in enumerate(idx) if q != p]
                ostr = [s for q, s in enumerate(strides) if q != p]
                pad = arity - 1 - len(others)
                inc.append((v, offsets[f], strides[p], others + [n] * pad, ostr + [0] * pad))
                neighbours[v].update(others)
        # greedy colouring, most-connected first
        colour = np.full(n, -1)
        for v in sorted(range(n), key=lambda u: -len(neighbours[u])):
            used = {colour[u] for u in neighbours[v] if colour[u] >= 0}
            c = 0
            while c in used:
                c += 1
            colour[v] = c
        self.blocks = []
        for c in range(int(colour.max()) + 1 if n else 0):
            members = [v for v in range(n) if colour[v] == c and v not in self.clamped]
            if not members:
                continue
            slot = {v: i for i, v in enumerate(members)}
            rows = sorted((r for r in inc if r[0] in slot), key=lambda r: slot[r[0]])
            slots = np.array([slot[r[0]] for r in rows], dtype=np.int64)
            has = np.unique(slots)  # the block's variables with at least one factor, in order
            self.blocks.append({
                "starts": np.searchsorted(slots, has),
                "has": has,
                "vars": np.array(members, dtype=np.int64),
                "card": self.card[members],
                "slot": slots,
                "off": np.array([r[1] for r in rows], dtype=np.intp),
                "vstride": np.array([r[2] for r in rows], dtype=np.intp),
                "others": np.array([r[3] for r in rows], dtype=np.int64).reshape(len(rows), arity - 1),
                "ostride": np.array([r[4] for r in rows], dtype=np.int64).reshape(len(rows), arity - 1),
            })
        self.n = n

    def initial(self, n_chains: int, rng: np.random.Generator) -> np.ndarray:
        """(n_chains, n + 1) states: uniform at random, evidence clamped, a last column of zeros
        (the padding variable of short scopes)."""
        x = np.zeros((n_chains, self.n + 1), dtype=np.int64)
        x[:, : self.n] = np.floor(rng.random((n_chains, self.n)) * self.card).astype(np.int64)
        for v, s in self.clamped.items():
            x[:, v] = s
        return x

    def sweep(self, x: np.ndarray, rng: np.random.Generator) -> None:
        """Resample every free variable once, a colour at a time, in place."""
        states = np.arange(self.max_card)
        for b in self.blocks:
            base = b["off"] + (x[:, b["others"]] * b["ostride"]).sum(axis=-1)  # (chains, incidences)
            idx = base[:, :, None] + states * b["vstride"][:, None]
            if self.same_card:  # every variable has max_card states (a binary network): no masking
                vals = self.log_flat[idx]
            else:
                valid = states < b["card"][b["slot"]][:, None]  # (incidences, states)
                vals = np.where(valid, self.log_flat[np.where(valid, idx, 0)], 0.0)
            logits = np.zeros((x.shape[0], b["vars"].size, self.max_card))
            if b["has"].size:  # incidences are sorted by variable: sum each variable's run
                logits[:, b["has"]] = np.add.reduceat(vals, b["starts"], axis=1)
            if not self.same_card:
                logits[:, ~(states < b["card"][:, None])] = -np.inf
            top = logits.max(axis=-1, keepdims=True)
            if not np.all(np.isfinite(top)):
                raise ValueError("a variable has zero potential in every state given its neighbours: the network "
                                 "(with its evidence) has an assignment of probability zero everywhere Gibbs can go")
            p = np.exp(logits - top)
            cdf = np.cumsum(p, axis=-1)
            u = rng.random((x.shape[0], b["vars"].size, 1)) * cdf[..., -1:]
            x[:, b["vars"]] = np.minimum((cdf <= u).sum(axis=-1), b["card"] - 1)

    def run(self, n_samples: int, n_chains: int, burn_in: int, thin: int, rng: np.random.Generator,
            callback: Any = None) -> np.ndarray:
        """(n_samples, n) states: `n_chains` chains, `burn_in` sweeps discarded, then one
        sample every `thin` sweeps from each chain in turn."""
        x = self.initial(n_chains, rng)
        for _ in range(burn_in):
            self.sweep(x, rng)
        out = np.empty((n_samples, self.n), dtype=np.int64)
        got = 0
        while got < n_samples:
            for _ in range(thin):
                self.sweep(x, rng)
            take = min(n_chains, n_samples - got)
            out[got: got + take] = x[:take, : self.n]
            got += take
            if callback is not None:
                callback(got)
        return out
