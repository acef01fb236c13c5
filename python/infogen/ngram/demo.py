"""The n-gram section of ``infogen demo``: the lecture's uses of a trigram model, on real text."""
from __future__ import annotations

import math
import os
import tempfile
import time
from typing import TextIO

import numpy as np


def ngram_section(out: TextIO, quick: bool = False) -> None:
    """Trigram model of CPython's documentation: perplexity (add-k, stupid backoff, Kneser-Ney),
    the streamed ARPA build, greedy vs sampled text, completion."""
    from infogen import NGramLM, datasets
    from infogen._ascii import heading
    from infogen.ngram import build_arpa

    heading(out, "N-gram language model: the lecture's critic, then CPython's pydoc topics")
    critic = NGramLM.from_probabilities({
        ("<s>",): {"more": 0.2}, ("<s>", "more"): {"realistic": 0.25},
        ("more", "realistic"): {"than": 0.61, "as": 0.12, "for": 0.14, "real": 0.01, "the": 0.02, "life": 0.05},
        ("realistic", "than"): {"than": 0.01, "as": 0.10, "for": 0.09, "real": 0.50, "the": 0.12, "life": 0.11},
        ("than", "real"): {"than": 0.20, "as": 0.16, "for": 0.05, "real": 0.01, "the": 0.12, "life": 0.33}})
    m7 = "more realistic than real life"
    print(f"the lecture's trigram tables as a model: P(M7 = '{m7}') = 0.2 x 0.25 x 0.61 x 0.50 x 0.33 = "
          f"{math.exp(critic.score(m7, eos=False)):.4f}", file=out)
    print(f"  correct 'more realistic then real life' -> "
          f"'{critic.correct('more realistic then real life', eos=False, error_rate=0.05)}'", file=out)
    sentences = datasets.load_pydoc_text()
    n_test = len(sentences) // 10
    train, test = sentences[:-n_test], sentences[-n_test:]
    n_tokens = sum(len(s.split()) for s in train)
    t = time.perf_counter()
    mle = NGramLM(3, smoothing="mle").fit(train)
    dt = time.perf_counter() - t
    c = mle.counts_
    print(f"corpus: {len(train):,} sentences, {n_tokens:,} tokens, {len(c.vocab) - 3:,} word types; "
          f"counted and estimated in {dt * 1e3:.1f} ms; n-grams per order {c.sizes}", file=out)
    g, n = max(((g, n) for g, n in c.items(3) if all(x.isalpha() for x in g)), key=lambda x: x[1])
    ctx = " ".join(g[:2])
    print(f"most frequent trigram: P({g[2]} | {ctx}) = count({' '.join(g)}) / count({ctx} *) = "
          f"{n} / {round(n / mle.prob(g[2], g[:2]))} = {mle.prob(g[2], g[:2]):.4f}", file=out)
    for sm, lm in (("add_k (k=0.01)", NGramLM(3, smoothing="add_k", k=0.01).fit(c)),
                   ("stupid_backoff", NGramLM(3, smoothing="stupid_backoff").fit(c))):
        ev = lm.evaluate(test)
        print(f"held-out perplexity, {sm}: {ev['perplexity']:.1f} ({ev['bits_per_word']:.2f} bits/word); "
              f"excluding the {ev['oov']} OOV tokens of {ev['tokens']:,}: {ev['perplexity_excluding_oov']:.1f}",
              file=out)
    print(f"MLE gives unseen words and n-grams probability 0: held-out perplexity {mle.perplexity(test)}", file=out)
    kn = NGramLM(3, smoothing="kneser_ney").fit(c)
    ev = kn.evaluate(test)
    d1, d2, d3 = kn.discounts_[2]
    print(f"held-out perplexity, kneser_ney (lmplz's modified Kneser-Ney; trigram discounts {d1:.3f}, "
          f"{d2:.3f}, {d3:.3f}): {ev['perplexity']:.1f}; excluding OOV: {ev['perplexity_excluding_oov']:.1f}",
          file=out)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        rep = build_arpa(train, os.path.join(tmp, "pydoc3.arpa"), 3)
        dt = time.perf_counter() - t
    print(f"build_arpa (text -> count trie -> Kneser-Ney streamed into an ARPA file, as lmplz -o 3): "
          f"{sum(rep.sizes):,} n-grams in {dt * 1e3:.1f} ms", file=out)
    lm = NGramLM(3, smoothing="stupid_backoff").fit(c)
    print("greedy (the same every run):", file=out)
    for prefix in ("the", "if", "a", "this", "an"):
        print(f"  {lm.generate(25, strategy='greedy', prefix=prefix, allow_unk=False)}", file=out)
    print("sampled (the biased die, seed 0):", file=out)
    for s in lm.sample(5, max_words=25, random_state=0, allow_unk=False):
        print(f"  {s}", file=out)
    top = ", ".join(f"{w} {p:.3f}" for w, p in lm.complete("the return value", k=5))
    print(f"complete 'the return value ...': {top}", file=out)
    print(f"fill 'the _ statement is used for conditional execution .': "
          f"{lm.fill('the _ statement is used for conditional execution .')}", file=out)
    from infogen import NoveltyDetector

    det = NoveltyDetector(NGramLM(3, smoothing="kn"), contamination=0.05, random_state=0).fit(train)
    scrambled = [" ".join(reversed(x.split())) for x in test]
    print(f"'was this written by the same author?' (NoveltyDetector, threshold calibrated on held-out text "
          f"at 5%): rejects {np.mean(det.predict(test) == -1):.1%} of unseen pydoc sentences "
          f"({det.false_rejection_rate_:.1%} on calibration) and {np.mean(det.predict(scrambled) == -1):.1%} "
          f"of the same sentences reversed", file=out)
    typo = "the return valeu of the function is none ."
    print(f"correct '{typo}' (noisy channel, one substitution): '{kn.correct(typo, error_rate=0.05)}'", file=out)
