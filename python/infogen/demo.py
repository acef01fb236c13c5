"""`infogen demo`: the main job, on data that ships with Python and NumPy's ecosystem.

Each topic contributes a section: a function ``section(out, quick)`` that prints to
``out``. Sections are registered in ``SECTIONS`` in the order they run.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TextIO

import numpy as np

import infogen
from infogen._ascii import heading
from infogen.ae.demo import ae_section
from infogen.ngram.demo import ngram_section
from infogen.rbm.demo import rbm_section
from infogen.vae.demo import vae_section


def info_section(out: TextIO, quick: bool = False) -> None:
    """Print the information-theory lecture's examples, computed by infogen's kernels."""
    heading(out, "Information measures (lecture examples)")
    ic = infogen.information_content([0.9, 0.1, 0.001], base=2)
    print("information content, bits: sunrise-ish 0.9 -> {:.3f}, clean-air day 0.1 -> {:.3f}, "
          "bridge closed 0.001 -> {:.3f}".format(*ic), file=out)
    P = np.array([0.9, 0.1, 0.0])  # bridge: fine, under repair, collapsed
    Q = np.array([0.1, 0.5, 0.4])  # the changed world
    print(f"bridge P = {P.tolist()}: entropy {infogen.entropy(P, base=2):.4f} bits "
          f"= {infogen.entropy(P):.4f} nats", file=out)
    print(f"changed world Q = {Q.tolist()}: entropy {infogen.entropy(Q, base=2):.4f} bits", file=out)
    print(f"cross-entropy H(P, Q) = {infogen.cross_entropy(P, Q, base=2):.4f} bits "
          f"= H(P) + KL(P||Q) = {infogen.entropy(P, base=2):.4f} + {infogen.kl_divergence(P, Q, base=2):.4f}",
          file=out)
    print(f"KL is not symmetric: KL(P||Q) = {infogen.kl_divergence(P, Q, base=2):.4f} bits, "
          f"KL(Q||P) = {infogen.kl_divergence(Q, P, base=2)} (Q allows a collapse P rules out)", file=out)
    print(f"Jensen-Shannon JS(P, Q) = {infogen.js_divergence(P, Q, base=2):.4f} bits (symmetric, <= 1)",
          file=out)
    y, p_hat = np.array([1.0, 1.0, 0.0]), np.array([0.95, 0.30, 0.10])
    losses = infogen.binary_cross_entropy(y, p_hat, reduction="none")
    print("blueberry(1)/strawberry(0) loss: " + ", ".join(
        f"y={int(a)} p={b:.2f} -> {c:.3f}" for a, b, c in zip(y, p_hat, losses)), file=out)

    # The coin example: (1/N) log P(obs | coin 1) / P(obs | coin 2) -> KL(coin 1 || coin 2)
    p1, p2 = 0.7, 0.4
    kl = infogen.kl_divergence([p1, 1 - p1], [p2, 1 - p2])
    rng = np.random.default_rng(0)
    print(f"coins: heads {p1} vs {p2}; KL(coin1||coin2) = {kl:.5f} nats", file=out)
    for n in (10, 1_000, 100_000) if quick else (10, 1_000, 100_000, 10_000_000):
        heads = int(rng.binomial(n, p1))
        llr = (heads * math.log(p1 / p2) + (n - heads) * math.log((1 - p1) / (1 - p2))) / n
        print(f"  N = {n:>10,}: (1/N) log-likelihood ratio = {llr:.5f}", file=out)
    print(f"VAE KL term, q = N(1, e^0.5) vs N(0, 1): {infogen.gaussian_kl([1.0], [0.5]):.4f} nats; "
          f"a fair die's perplexity: {infogen.perplexity(np.log(np.full(60, 1 / 6))):.1f}", file=out)

    n_rows, n_cols = (20_000, 1_000) if not quick else (2_000, 1_000)
    logits = np.random.default_rng(1).normal(size=(n_rows, n_cols))
    t = time.perf_counter()
    h = infogen.entropy(logits=logits)
    dt = time.perf_counter() - t
    print(f"speed: entropy of {n_rows:,} softmax distributions over {n_cols:,} outcomes in "
          f"{dt * 1e3:.1f} ms ({dt / logits.size * 1e9:.2f} ns/element, {infogen.get_num_threads()} threads); "
          f"mean {h.mean():.4f} nats", file=out)


SECTIONS: dict[str, Callable[[TextIO, bool], None]] = {
    "info": info_section,
    "ngram": ngram_section,
    "rbm": rbm_section,
    "vae": vae_section,
    "ae": ae_section,
}


def run(sections: list[str] | None = None, quick: bool = False, out: TextIO | None = None) -> None:
    """Run the demo sections (all by default) and print to `out` (stdout)."""
    import sys

    out = out or sys.stdout
    names = list(SECTIONS) if not sections else sections
    unknown = [s for s in names if s not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown demo section(s) {unknown}; choose from {list(SECTIONS)}")
    print(f"infogen {infogen.__version__} demo - sections: {', '.join(names)}", file=out)
    for name in names:
        SECTIONS[name](out, quick)
