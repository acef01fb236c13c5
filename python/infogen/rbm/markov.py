"""Discrete Markov networks with explicit factor tables: exact by enumeration, or Gibbs.

``P(x) = (1/Z) prod_k phi_k(x_{D_k})``: each factor is a non-negative table over a few
discrete variables (a clique), and Z sums the product over every joint assignment.
``method="exact"`` (the default) enumerates the full joint in log space - the lecture's
worked examples, up to 2^24 assignments. ``method="gibbs"`` samples (chromatic Gibbs over
many chains, :mod:`infogen.rbm.gibbs`) and estimates marginals and conditionals from
the samples, for networks of hundreds of variables such as a 30 x 30 pixel grid.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["DiscreteMarkovNetwork"]

# Largest joint table enumerated (number of assignments).
_MAX_STATES = 1 << 24


class DiscreteMarkovNetwork:
    """An undirected graphical model over discrete variables, given by factor tables.

    Parameters
    ----------
    variables : mapping of str to int, or sequence of str
        Variable names with their number of states (a sequence means binary variables).
        The order fixes the axes of :meth:`joint_table`.

    Examples
    --------
    The lecture's RBM with 3 visible and 2 hidden units (CS7015 lecture 19): the
    unnormalised P(V = <0,0,0>, H = <1,1>) is the product of the eleven table entries.

    >>> from infogen import DiscreteMarkovNetwork
    >>> net = DiscreteMarkovNetwork.lecture_example()
    >>> x = dict(v1=0, v2=0, v3=0, h1=1, h2=1)
    >>> float(net.unnormalized(x))
    16200000.0
    >>> f"{net.joint(x):.4e}"
    '5.2747e-07'
    >>> W, b, c = net.to_rbm()  # the same joint as an RBM's parameters
    >>> W.shape, b.shape, c.shape
    ((2, 3), (3,), (2,))
    """

    def __init__(self, variables: Mapping[str, int] | Sequence[str]):
        if isinstance(variables, Mapping):
            items = list(variables.items())
        else:
            items = [(name, 2) for name in variables]
        if not items:
            raise ValueError("a Markov network needs at least one variable")
        self.cardinality: dict[str, int] = {}
        for name, card in items:
            if not isinstance(name, str):
                raise TypeError(f"variable names must be strings, got {name!r}")
            if name in self.cardinality:
                raise ValueError(f"variable {name!r} is listed twice")
            if isinstance(card, bool) or not isinstance(card, (int, np.integer)) or card < 1:
                raise ValueError(f"variable {name!r} needs a positive int number of states, got {card!r}")
            self.cardinality[name] = int(card)
        self.variables = list(self.cardinality)
        self.factors: list[tuple[tuple[str, ...], np.ndarray]] = []
        self._cache: np.ndarray | None = None

    # ------------------------------------------------------------------ building
    def add_factor(self, scope: Sequence[str] | str, table: Any) -> DiscreteMarkovNetwork:
        """Add a factor phi(scope): a non-negative table with one axis per scope variable.

        Parameters
        ----------
        scope : str or sequence of str
            The factor's variables, in the order of the table's axes.
        table : array-like
            Shape ``(card(scope[0]), card(scope[1]), ...)``, entries >= 0 and finite.

        Returns
        -------
        self
        """
        scope = (scope,) if isinstance(scope, str) else tuple(scope)
        for name in scope:
            if name not in self.cardinality:
                raise ValueError(f"factor scope names unknown variable {name!r}; known: {self.variables}")
        if len(set(scope)) != len(scope):
            raise ValueError(f"factor scope {scope} repeats a variable")
        t = np.asarray(table, dtype=np.float64)
        want = tuple(self.cardinality[n] for n in scope)
        if t.shape != want:
            raise ValueError(f"factor over {scope} needs a table of shape {want}, got {t.shape}")
        if not np.all(np.isfinite(t)) or np.any(t < 0):
            raise ValueError(f"factor over {scope} must hold finite non-negative values")
        self.factors.append((scope, t.copy()))
        self._cache = None
        return self

    # ------------------------------------------------------------------ enumeration
    def _check_enumerable(self) -> None:
        log2_states = sum(math.log2(c) for c in self.cardinality.values())
        if log2_states > math.log2(_MAX_STATES) + 1e-9:
            raise ValueError(f"2^{log2_states:.0f} joint assignments are too many to enumerate (limit 2^24): "
                             "use method='gibbs' (sample, marginal, conditional)")

    def log_unnormalized_table(self) -> np.ndarray:
        """Log prod_k phi_k over every joint assignment; axes follow ``variables``."""
        self._check_enumerable()
        if self._cache is None:
            shape = tuple(self.cardinality[v] for v in self.variables)
            out = np.zeros(shape)
            with np.errstate(divide="ignore"):
                for scope, t in self.factors:
                    axes = [self.variables.index(n) for n in scope]
                    # move the factor's axes into the joint's order, then broadcast
                    order = np.argsort(axes)
                    lt = np.log(np.transpose(t, order))
                    bshape = [1] * len(shape)
                    for a in sorted(axes):
                        bshape[a] = shape[a]
                    out = out + lt.reshape(bshape)
            self._cache = out
        return self._cache

    def log_partition_function(self) -> float:
        """Log Z = log sum_x prod_k phi_k(x)."""
        lt = self.log_unnormalized_table()
        top = float(lt.max())
        if top == -math.inf:
            raise ValueError("every assignment has zero potential: Z = 0")
        return top + math.log(float(np.exp(lt - top).sum()))

    def partition_function(self) -> float:
        """Z = sum_x prod_k phi_k(x) (may overflow to inf; prefer the log version)."""
        return math.exp(self.log_partition_function())

    def joint_table(self) -> np.ndarray:
        """P(x) for every joint assignment; axes follow ``variables``."""
        return np.exp(self.log_unnormalized_table() - self.log_partition_function())

    def _index(self, assignment: Mapping[str, int]) -> tuple[int, ...]:
        missing = [v for v in self.variables if v not in assignment]
        extra = [k for k in assignment if k not in self.cardinality]
        if missing or extra:
            raise ValueError(f"assignment must give every variable exactly: missing {missing}, unknown {extra}")
        return tuple(self._state(v, assignment[v]) for v in self.variables)

    def _state(self, name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not (
                0 <= value < self.cardinality[name]):
            raise ValueError(f"{name} takes states 0..{self.cardinality[name] - 1}, got {value!r}")
        return int(value)

    def unnormalized(self, assignment: Mapping[str, int]) -> float:
        """prod_k phi_k(x) for one full assignment (the product of the table entries)."""
        idx = dict(zip(self.variables, self._index(assignment), strict=True))
        value = 1.0
        for scope, t in self.factors:
            value *= float(t[tuple(idx[n] for n in scope)])
        return value

    def joint(self, assignment: Mapping[str, int]) -> float:
        """P(x) for one full assignment."""
        lt = self.log_unnormalized_table()
        return float(np.exp(lt[self._index(assignment)] - self.log_partition_function()))

    # ------------------------------------------------------------------ sampling
    def sample(self, n_samples: int, *, method: str = "exact", evidence: Mapping[str, int] | None = None,
               burn_in: int = 200, thin: int = 1, n_chains: int = 100, random_state: Any = None) -> np.ndarray:
        """Draw joint assignments: an (n_samples, n_variables) int array, columns as ``variables``.

        Parameters
        ----------
        n_samples : int
        method : {"exact", "gibbs"}, default="exact"
            ``"exact"`` draws from the enumerated joint (small networks); ``"gibbs"`` runs
            `n_chains` chromatic Gibbs chains (each colour class of variables that share no
            factor resampled at once), discards `burn_in` sweeps, then takes one sample per
            chain every `thin` sweeps.
        evidence : dict, optional
            Variables clamped to these states (samples from P(x | evidence)).
        random_state : None, int, RandomState or Generator
            Seeds the draws (the same seed gives the same samples).
        """
        from infogen._random import draw_seed

        self._check_sampling(n_samples, method, burn_in, thin, n_chains)
        evidence = self._check_evidence(evidence)
        rng = np.random.default_rng(draw_seed(random_state))
        if method == "exact":
            lt = self.log_unnormalized_table()
            if evidence:
                keep = np.ones(lt.shape, dtype=bool)
                for k, v in evidence.items():
                    sl = [slice(None)] * lt.ndim
                    sl[self.variables.index(k)] = np.arange(lt.shape[self.variables.index(k)]) != v
                    keep[tuple(sl)] = False
                lt = np.where(keep, lt, -np.inf)
            top = lt.max()
            if top == -math.inf:
                raise ValueError(f"the evidence {evidence} has probability zero")
            p = np.exp(lt - top).ravel()
            flat = rng.choice(p.size, size=n_samples, p=p / p.sum())
            return np.stack(np.unravel_index(flat, lt.shape), axis=1).astype(np.int64)
        from infogen.rbm.gibbs import GibbsSampler

        return GibbsSampler(self, evidence).run(n_samples, n_chains, burn_in, thin, rng)

    def _check_sampling(self, n_samples: Any, method: Any, burn_in: Any, thin: Any, n_chains: Any) -> None:
        if method not in ("exact", "gibbs"):
            raise ValueError(f"method must be 'exact' or 'gibbs', got {method!r}")
        for name, v, lo in (("n_samples", n_samples, 1), ("burn_in", burn_in, 0), ("thin", thin, 1),
                            ("n_chains", n_chains, 1)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ValueError(f"{name} must be an int >= {lo}, got {v!r}")

    def _check_evidence(self, evidence: Mapping[str, int] | None) -> dict[str, int]:
        out = {}
        for k, v in (evidence or {}).items():
            if k not in self.cardinality:
                raise ValueError(f"unknown evidence variable {k!r}")
            out[k] = self._state(k, v)
        return out

    def _sampled_table(self, names: list[str], evidence: dict[str, int], n_samples: int, burn_in: int, thin: int,
                       n_chains: int, random_state: Any) -> np.ndarray:
        """The frequency table of `names` over Gibbs samples (given `evidence`)."""
        x = self.sample(n_samples, method="gibbs", evidence=evidence, burn_in=burn_in, thin=thin,
                        n_chains=n_chains, random_state=random_state)
        cols = [self.variables.index(n) for n in names]
        shape = tuple(self.cardinality[n] for n in names)
        flat = np.ravel_multi_index(tuple(x[:, c] for c in cols), shape)
        return np.bincount(flat, minlength=math.prod(shape)).reshape(shape) / n_samples

    def _check_names(self, variables: Iterable[str] | str, what: str) -> list[str]:
        names = [variables] if isinstance(variables, str) else list(variables)
        for n in names:
            if n not in self.cardinality:
                raise ValueError(f"unknown {what} variable {n!r}")
        if len(set(names)) != len(names):
            raise ValueError(f"{what}: a variable is repeated")
        return names

    def marginal(self, variables: Iterable[str] | str, *, method: str = "exact", n_samples: int = 20_000,
                 burn_in: int = 200, thin: int = 1, n_chains: int = 100, random_state: Any = None) -> np.ndarray:
        """P(variables), a table with one axis per requested variable (in the given order).

        ``method="gibbs"`` estimates it from `n_samples` Gibbs samples (see :meth:`sample`);
        its error shrinks as 1/sqrt(effective samples).
        """
        names = self._check_names(variables, "marginal")
        if method == "gibbs":
            return self._sampled_table(names, {}, n_samples, burn_in, thin, n_chains, random_state)
        if method != "exact":
            raise ValueError(f"method must be 'exact' or 'gibbs', got {method!r}")
        p = self.joint_table()
        drop = tuple(i for i, v in enumerate(self.variables) if v not in names)
        m = p.sum(axis=drop)
        kept = [v for v in self.variables if v in names]
        return np.transpose(m, [kept.index(n) for n in names])

    def conditional(self, query: Iterable[str] | str, evidence: Mapping[str, int], *, method: str = "exact",
                    n_samples: int = 20_000, burn_in: int = 200, thin: int = 1, n_chains: int = 100,
                    random_state: Any = None) -> np.ndarray:
        """P(query | evidence): a table over the query variables (given order).

        ``method="gibbs"`` clamps the evidence and estimates the table from Gibbs samples.
        Raises ValueError when the evidence has probability zero.
        """
        names = [query] if isinstance(query, str) else list(query)
        overlap = set(names) & set(evidence)
        if overlap:
            raise ValueError(f"variables {sorted(overlap)} are both queried and observed")
        if method == "gibbs":
            names = self._check_names(names, "query")
            return self._sampled_table(names, self._check_evidence(evidence), n_samples, burn_in, thin, n_chains,
                                       random_state)
        if method != "exact":
            raise ValueError(f"method must be 'exact' or 'gibbs', got {method!r}")
        p = self.joint_table()
        index = tuple(self._state(v, evidence[v]) if v in evidence else slice(None) for v in self.variables)
        for k in evidence:
            if k not in self.cardinality:
                raise ValueError(f"unknown evidence variable {k!r}")
        sub = p[index]
        rest = [v for v in self.variables if v not in evidence]
        for n in names:
            if n not in rest:
                raise ValueError(f"unknown query variable {n!r}")
        drop = tuple(i for i, v in enumerate(rest) if v not in names)
        m = sub.sum(axis=drop)
        total = m.sum()
        if total <= 0:
            raise ValueError(f"the evidence {dict(evidence)} has probability zero")
        kept = [v for v in rest if v in names]
        return np.transpose(m / total, [kept.index(n) for n in names])

    # ------------------------------------------------------------------ RBMs
    @classmethod
    def from_rbm(cls, W: Any, b: Any, c: Any) -> DiscreteMarkovNetwork:
        """Build the factor form of an RBM: phi_ij = e^{w_ij v_i h_j}, psi_i = e^{b_i v_i}, xi_j = e^{c_j h_j}.

        Parameters
        ----------
        W : array-like of shape (n_hidden, n_visible)
            ``W[j, i]`` couples hidden unit j and visible unit i (scikit-learn layout).
        b : array-like of shape (n_visible,)
        c : array-like of shape (n_hidden,)

        Returns
        -------
        DiscreteMarkovNetwork
            Variables ``v1..vm`` then ``h1..hn``.
        """
        W = np.asarray(W, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        c = np.asarray(c, dtype=np.float64)
        n, m = W.shape
        if b.shape != (m,) or c.shape != (n,):
            raise ValueError(f"b must have shape ({m},) and c shape ({n},)")
        for name, a in (("W", W), ("b", b), ("c", c)):
            if not np.isfinite(a).all():
                raise ValueError(f"{name} contains NaN or infinity: an RBM's parameters must be finite")
        net = cls([f"v{i + 1}" for i in range(m)] + [f"h{j + 1}" for j in range(n)])
        for i in range(m):
            for j in range(n):
                net.add_factor((f"v{i + 1}", f"h{j + 1}"), [[1.0, 1.0], [1.0, math.exp(W[j, i])]])
        for i in range(m):
            net.add_factor(f"v{i + 1}", [1.0, math.exp(b[i])])
        for j in range(n):
            net.add_factor(f"h{j + 1}", [1.0, math.exp(c[j])])
        return net

    def to_rbm(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """RBM parameters (W, b, c) with exactly this network's joint distribution.

        Needs binary variables named ``v1..vm`` and ``h1..hn``, strictly positive tables,
        and factors over one variable or over one visible-hidden pair. Each pairwise table
        is written log-linearly, log phi(v, h) = a + beta v + gamma h + w v h, with
        w = log phi(1,1) - log phi(1,0) - log phi(0,1) + log phi(0,0); the constants are
        absorbed into Z.

        Returns
        -------
        W : ndarray of shape (n_hidden, n_visible)
        b : ndarray of shape (n_visible,)
        c : ndarray of shape (n_hidden,)
        """
        vis = sorted((v for v in self.variables if v.startswith("v")), key=lambda s: int(s[1:]))
        hid = sorted((v for v in self.variables if v.startswith("h")), key=lambda s: int(s[1:]))
        if len(vis) + len(hid) != len(self.variables) or any(self.cardinality[v] != 2 for v in self.variables):
            raise ValueError("to_rbm needs binary variables named v1..vm and h1..hn only")
        W = np.zeros((len(hid), len(vis)))
        b = np.zeros(len(vis))
        c = np.zeros(len(hid))
        for scope, t in self.factors:
            if np.any(t <= 0):
                raise ValueError(f"factor over {scope} has a zero entry: no RBM has that joint")
            lt = np.log(t)
            if len(scope) == 1:
                (name,) = scope
                target, idx = (b, vis.index(name)) if name in vis else (c, hid.index(name))
                target[idx] += lt[1] - lt[0]
            elif len(scope) == 2:
                if scope[0] in vis and scope[1] in hid:
                    vname, hname = scope
                elif scope[0] in hid and scope[1] in vis:
                    hname, vname = scope
                    lt = lt.T
                else:
                    raise ValueError(f"factor over {scope} is not a visible-hidden pair")
                i, j = vis.index(vname), hid.index(hname)
                W[j, i] += lt[1, 1] - lt[1, 0] - lt[0, 1] + lt[0, 0]
                b[i] += lt[1, 0] - lt[0, 0]
                c[j] += lt[0, 1] - lt[0, 0]
            else:
                raise ValueError(f"factor over {scope} has more than two variables")
        return W, b, c

    @classmethod
    def ising_grid(cls, rows: int, cols: int, *, coupling: float = 0.5, field: float = 0.0) -> DiscreteMarkovNetwork:
        """A binary pixel grid: phi(x_a, x_b) = exp(coupling) when neighbours agree, 1 otherwise,
        and psi(x) = exp(field * x) per pixel. Variables ``p{r}_{c}`` in row-major order."""
        for name, v in (("rows", rows), ("cols", cols)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        net = cls([f"p{r}_{c}" for r in range(rows) for c in range(cols)])
        agree = [[math.exp(coupling), 1.0], [1.0, math.exp(coupling)]]
        for r in range(rows):
            for c in range(cols):
                if field:
                    net.add_factor(f"p{r}_{c}", [1.0, math.exp(field)])
                if c + 1 < cols:
                    net.add_factor((f"p{r}_{c}", f"p{r}_{c + 1}"), agree)
                if r + 1 < rows:
                    net.add_factor((f"p{r}_{c}", f"p{r + 1}_{c}"), agree)
        return net

    @classmethod
    def lecture_example(cls) -> DiscreteMarkovNetwork:
        """Build the worked example of CS7015 lecture 19: |V| = 3, |H| = 2, with its phi/psi/xi tables."""
        net = cls(["v1", "v2", "v3", "h1", "h2"])
        # phi_ij(v_i, h_j) as [[phi(0,0), phi(0,1)], [phi(1,0), phi(1,1)]], from the slides
        phi = {
            (1, 1): [[20, 3], [5, 10]],
            (1, 2): [[6, 20], [10, 2]],
            (2, 1): [[3, 3], [2, 10]],
            (2, 2): [[2, 1], [10, 10]],
            (3, 1): [[6, 3], [5, 10]],
            (3, 2): [[3, 1], [10, 10]],
        }
        for (i, j), t in phi.items():
            net.add_factor((f"v{i}", f"h{j}"), t)
        for i, t in enumerate(([30, 1], [100, 1], [1, 100]), start=1):
            net.add_factor(f"v{i}", t)
        for j, t in enumerate(([100, 1], [10, 10]), start=1):
            net.add_factor(f"h{j}", t)
        return net
