"""``infogen ngram count|build|score|generate|complete``: n-gram models from the command line.

Corpus arguments are files with one sentence per line (``-`` or none: standard input).
Models are ARPA files (any other extension, ``.gz``/``.xz`` compressed) or infogen's
binary ``.npz`` form. A summary (tokens, types, n-grams per order, time, peak memory) goes
to standard error at the end of each command.
"""
from __future__ import annotations

import argparse
import math
import os
import pathlib
import resource
import sys
import time
from typing import Any

from infogen._config import resolve_threads
from infogen._io import check_output_path
from infogen.ngram.build import BuildReport, build_arpa
from infogen.ngram.counts import NGramCounts
from infogen.ngram.model import SMOOTHINGS, NGramLM
from infogen.ngram.outofcore import count_to_file


def _peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return kb / 1024.0


def _progress(total_bytes: int, desc: str, quiet: bool, unit: str = "B") -> Any:
    """A tqdm bar over bytes (or a no-op if tqdm is unavailable or quiet)."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        tqdm = None
    if tqdm is None or quiet or not sys.stderr.isatty():  # no escape codes in logs and pipes
        class _Null:
            def update(self, n: int) -> None:
                pass

            def close(self) -> None:
                pass
        return _Null()
    return tqdm(total=total_bytes, desc=desc, unit=unit, unit_scale=True, file=sys.stderr, leave=False)


class _OrderBars:
    """One progress bar per order while the ARPA file is written: call(k, done, total)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet, self.k, self.bar = quiet, 0, None

    def __call__(self, k: int, done: int, total: int) -> None:
        if k != self.k:
            self.close()
            self.k, self.bar = k, _progress(total, f"writing {k}-grams", self.quiet, unit=" n-grams")
            self.done = 0
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _read_counts(args: argparse.Namespace, order: int) -> NGramCounts:
    inputs = args.inputs or ["-"]
    threads = args.threads_local
    if inputs == ["-"]:
        data = sys.stdin.buffer.read()
        return NGramCounts.from_bytes(data, order, min_count=args.min_count, max_vocab=args.max_vocab,
                                      n_threads=threads)
    if len(inputs) == 1 and inputs[0].endswith(".npz"):
        counts = NGramCounts.load(inputs[0])
        if counts.order < order:
            raise ValueError(f"{inputs[0]} holds counts up to order {counts.order}, need {order}")
        return counts
    missing = [p for p in inputs if not os.path.exists(p)]
    if missing:
        raise FileNotFoundError(f"corpus file not found: {missing[0]}")
    bar = _progress(sum(os.path.getsize(p) for p in inputs), "reading", args.quiet)
    try:
        return NGramCounts.from_file(inputs, order, min_count=args.min_count, max_vocab=args.max_vocab,
                                     n_threads=threads, progress=lambda path, n: bar.update(n),
                                     memory=args.memory, temp_dir=args.temp_dir)
    finally:
        bar.close()


def _summary(counts: NGramCounts | BuildReport | None, t0: float, extra: str = "", phases: str = "") -> None:
    """Tokens, sentences, types and n-grams per order of counts or a build, the phases, time,
    peak memory and `extra`, on standard error.
    """
    parts = []
    if counts is not None:
        types = counts.n_types if isinstance(counts, BuildReport) else len(counts.vocab) - 3
        parts.append(f"tokens {counts.n_tokens:,}  sentences {counts.n_sentences:,}  types {types:,}")
        parts.append("n-grams per order: " + ", ".join(f"{k}: {n:,}" for k, n in enumerate(counts.sizes, 1)))
    if phases:
        parts.append(phases)
    dt = time.perf_counter() - t0
    rate = f" ({counts.n_tokens / dt / 1e6:.1f} M tokens/s)" if counts is not None and dt > 0 else ""
    parts.append(f"time {dt:.2f} s{rate}  peak memory {_peak_rss_mb():,.0f} MB")
    if extra:
        parts.append(extra)
    for p in parts:
        print(f"infogen ngram: {p}", file=sys.stderr)


def _read_lines(path: str) -> list[str]:
    if not os.path.exists(path):
        raise FileNotFoundError(f"text file not found: {path}")
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read().splitlines()


def _load_model(path: str, threads: int | None) -> NGramLM:
    """A .ngram file (memory-mapped), ARPA (compressed or not) or .npz, recognised by content."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"model file not found: {path}")
    return NGramLM.load(path, n_threads=threads)


def _is_model_file(path: str) -> bool:
    """Does `path` (an output) ask for infogen's binary model file rather than ARPA/.npz?"""
    lower = path.lower()
    return lower.endswith(".ngram")


def _count(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    check_output_path(args.output)  # before any work
    inputs = args.inputs or ["-"]
    if args.memory is not None and inputs != ["-"] and not (len(inputs) == 1 and inputs[0].endswith(".npz")):
        # Stream the merged counts into the file: they need not fit in memory.
        missing = [p for p in inputs if not os.path.exists(p)]
        if missing:
            raise FileNotFoundError(f"corpus file not found: {missing[0]}")
        st = count_to_file(inputs, args.order, args.output, memory=args.memory, temp_dir=args.temp_dir,
                           min_count=args.min_count, max_vocab=args.max_vocab, n_threads=args.threads_local)
        dt = time.perf_counter() - t0
        print(f"infogen ngram: tokens {st['tokens']:,}  sentences {st['sentences']:,}", file=sys.stderr)
        print("infogen ngram: n-grams per order: " + ", ".join(f"{k}: {n:,}" for k, n in enumerate(st["sizes"], 1)),
              file=sys.stderr)
        print(f"infogen ngram: blocks {st['blocks']}  spilled runs {st['runs']} ({st['spilled_bytes'] / 2**20:,.0f} MB)"
              f"  budget {args.memory}  count+spill {st['count_seconds']:.1f} s  merge {st['merge_seconds']:.1f} s",
              file=sys.stderr)
        print(f"infogen ngram: time {dt:.2f} s ({st['tokens'] / dt / 1e6:.1f} M tokens/s)  "
              f"peak memory {_peak_rss_mb():,.0f} MB", file=sys.stderr)
        print(f"infogen ngram: wrote {args.output}", file=sys.stderr)
        return 0
    counts = _read_counts(args, args.order)
    counts.save(args.output)
    _summary(counts, t0, f"wrote {args.output}")
    return 0


def _build(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    if args.output != "-":
        check_output_path(args.output)  # before any work
    kn = args.smoothing in ("kneser_ney", "kn")
    if not kn and (args.prune is not None or args.discount_fallback is not None):
        raise ValueError("--prune and --discount-fallback apply to --smoothing kneser_ney (kn) only")
    fallback: bool | tuple[float, ...] = False
    if args.discount_fallback is not None:
        fallback = tuple(args.discount_fallback) if args.discount_fallback else True
    inputs = args.inputs or ["-"]
    if kn and not args.output.endswith(".npz") and not _is_model_file(args.output) and "-" not in inputs:
        return _build_streaming(args, inputs, fallback, t0)
    counts = _read_counts(args, args.order)
    extra = {"prune": args.prune, "discount_fallback": fallback} if kn else {}
    lm = NGramLM(args.order, smoothing=args.smoothing, k=args.k, alpha=args.alpha,
                 n_threads=args.threads_local, **extra).fit(counts)
    for msg in getattr(lm, "discount_warnings_", None) or []:
        print(f"infogen ngram: {msg}", file=sys.stderr)
    if args.output.endswith(".npz") or _is_model_file(args.output):
        lm.save(args.output, precision=args.precision)
    else:
        lm.to_arpa(args.output, precision=args.precision)
    _summary(counts, t0, f"wrote {args.output} ({args.smoothing}, order {args.order})")
    return 0


def _build_streaming(args: argparse.Namespace, inputs: list[str], fallback: bool | tuple[float, ...],
                     t0: float) -> int:
    """Kneser-Ney straight from the corpus files to the ARPA file (infogen.ngram.build_arpa)."""
    bars = _OrderBars(args.quiet)
    if len(inputs) == 1 and inputs[0].endswith(".npz"):  # counts from `ngram count`
        counts = NGramCounts.load(inputs[0])
        try:
            rep = build_arpa(counts, args.output, args.order, prune=args.prune, discount_fallback=fallback,
                             n_threads=args.threads_local, write_progress=bars, precision=args.precision)
        finally:
            bars.close()
    else:
        missing = [p for p in inputs if not os.path.exists(p)]
        if missing:
            raise FileNotFoundError(f"corpus file not found: {missing[0]}")
        bar = _progress(sum(os.path.getsize(p) for p in inputs), "reading", args.quiet)
        try:
            rep = build_arpa([pathlib.Path(p) for p in inputs], args.output, args.order, prune=args.prune,
                             discount_fallback=fallback, min_count=args.min_count, max_vocab=args.max_vocab,
                             memory=args.memory, temp_dir=args.temp_dir, n_threads=args.threads_local,
                             progress=lambda path, n: bar.update(n), write_progress=bars,
                             precision=args.precision)
        finally:
            bar.close()
            bars.close()
    for msg in rep.warnings:
        print(f"infogen ngram: {msg}", file=sys.stderr)
    phases = ("phases: " + ", ".join(f"{name} {sec:.1f} s" for name, sec in rep.seconds.items())
              + f"  (count trie {rep.trie_bytes / 2**20:,.0f} MB)")
    _summary(rep, t0, f"wrote {args.output} (kneser_ney, order {args.order})", phases)
    return 0


def _score(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    if args.base is not None and not (math.isfinite(args.base) and args.base > 0 and args.base != 1):
        raise ValueError(f"--base must be a positive finite number other than 1, got {args.base}")
    lm = _load_model(args.model, args.threads_local)
    inputs = args.inputs or ["-"]
    if lm.memory_mapped_ and inputs != ["-"] and sum(os.path.getsize(p) for p in inputs if os.path.exists(p)) > 1 << 20:
        # a large text will touch most of the tables: map their pages in the background while
        # the text is read and tokenised (scoring would otherwise fault them in one by one)
        import threading

        threading.Thread(target=lm._cpp.prefault, args=(resolve_threads(args.threads_local),), daemon=True).start()
    if inputs == ["-"]:
        sentences = sys.stdin.read().splitlines()
    else:
        sentences = None
    scale = 1.0 if args.base is None else 1.0 / math.log(args.base)
    if args.sentences:
        lines = sentences if sentences is not None else [line for p in inputs for line in _read_lines(p)]
        scores = lm.scores(lines, bos=not args.no_bos, eos=not args.no_eos)
        for s, line in zip(scores, lines):
            print(f"{s * scale:.6f}\t{line}")
    corpus = sentences if sentences is not None else [pathlib.Path(p) for p in inputs]
    stats = lm.evaluate(corpus, bos=not args.no_bos, eos=not args.no_eos)
    unit = "ln" if args.base is None else f"log{args.base:g}"
    print(f"sentences {stats['sentences']:,}  tokens {stats['tokens']:,}  OOV {stats['oov']:,}  "
          f"total {unit} prob {stats['logprob'] * scale:.4f}")
    print(f"perplexity {stats['perplexity']:.4f}  excluding OOV {stats['perplexity_excluding_oov']:.4f}  "
          f"bits/word {stats['bits_per_word']:.4f}")
    _summary(None, t0)
    return 0


def _convert(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    if args.output != "-":
        check_output_path(args.output)
    lm = _load_model(args.model, args.threads_local)
    if args.output == "-" or not (args.output.endswith(".npz") or _is_model_file(args.output)):
        lm.to_arpa(args.output, precision=args.precision)
    else:
        lm.save(args.output, precision=args.precision)
    _summary(None, t0, f"wrote {args.output}")
    return 0


def _generate(args: argparse.Namespace) -> int:
    lm = _load_model(args.model, args.threads_local)
    for s in lm.sample(args.n, max_words=args.max_words, strategy=args.strategy, temperature=args.temperature,
                       top_k=args.top_k, prefix=args.prefix, random_state=args.seed, allow_unk=args.allow_unk):
        print(s)
    return 0


def _complete(args: argparse.Namespace) -> int:
    lm = _load_model(args.model, args.threads_local)
    prefix = " ".join(args.prefix)
    for word, p in lm.complete(prefix, k=args.k):
        print(f"{p:.6f}\t{word}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``infogen ngram ...`` to the CLI."""
    p = sub.add_parser("ngram", help="n-gram language models: count, build, score, generate, complete",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    nsub = p.add_subparsers(dest="ngram_command", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("-j", "--jobs", dest="threads_local", type=int, default=None,
                       help="threads (default: infogen --threads, else all cores)")

    def corpus(q: argparse.ArgumentParser) -> None:
        q.add_argument("inputs", nargs="*", help="corpus files, one sentence per line (default or '-': stdin); "
                                                 "for build also a counts .npz from `count`")
        q.add_argument("--order", "-o", type=int, default=3, help="highest n-gram order (default 3)")
        q.add_argument("--min-count", type=int, default=1, help="words seen fewer times become <unk>")
        q.add_argument("--max-vocab", type=int, default=None, help="keep only the most frequent words")
        q.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
        q.add_argument("-S", "--memory", default=None,
                       help="memory budget for counting, e.g. 2G or 512M: spill sorted runs to disk past it "
                            "(default: count in memory)")
        q.add_argument("-T", "--temp-dir", "--temp_prefix", dest="temp_dir", default=None,
                       help="directory for the spilled runs (default: the system temporary directory)")
        common(q)

    c = nsub.add_parser("count", help="count n-grams of orders 1..N into a .npz file")
    corpus(c)
    c.add_argument("--output", required=True, help="counts file to write (.npz)")
    c.set_defaults(func=_count)

    b = nsub.add_parser("build", help="estimate a model and write it as ARPA (or .npz)")
    corpus(b)
    b.add_argument("--smoothing", "-s", choices=sorted(SMOOTHINGS) + ["kn"], default="add_k",
                   help="estimator (default add_k); kneser_ney (kn) is lmplz's interpolated modified Kneser-Ney")
    b.add_argument("--prune", type=int, nargs="+", default=None, metavar="T",
                   help="kneser_ney: drop n-grams of order k with count <= T_k, as lmplz --prune (e.g. 0 1 1; "
                        "the last value applies to higher orders; the first must be 0)")
    b.add_argument("--discount-fallback", "--discount_fallback", dest="discount_fallback", type=float, nargs="*",
                   default=None, metavar="D",
                   help="kneser_ney: when an order's discounts cannot be estimated (small data), use D1 D2 D3+ "
                        "(default 0.5 1 1.5, as lmplz --discount_fallback) instead of failing")
    b.add_argument("--k", type=float, default=1.0, help="pseudo-count of add_k (default 1: Laplace)")
    b.add_argument("--alpha", type=float, default=0.4, help="backoff factor of stupid_backoff")
    b.add_argument("--output", default="-",
                   help="model file: .ngram (infogen's binary model, memory-mapped on load), .arpa "
                        "(.arpa.gz/.xz/.bz2) or .npz; '-' (default, as lmplz): ARPA on standard output")
    b.add_argument("--precision", choices=["double", "float"], default="double",
                   help="ARPA numbers: shortest form of the double (default) or of the float, as KenLM "
                        "writes them (a smaller file, written faster); .ngram: float32 values (smaller)")
    b.set_defaults(func=_build)

    s = nsub.add_parser("score", help="log-probabilities and perplexity of sentences under a model")
    s.add_argument("model", help=".ngram, ARPA (possibly gzip/xz/bzip2 compressed) or .npz model")
    s.add_argument("inputs", nargs="*", help="text files (default: stdin)")
    s.add_argument("--base", type=float, default=None, help="log base of printed scores (10 = KenLM's)")
    s.add_argument("--sentences", action="store_true", help="print each sentence's score")
    s.add_argument("--no-bos", action="store_true", help="do not condition on <s>")
    s.add_argument("--no-eos", action="store_true", help="do not predict </s>")
    common(s)
    s.set_defaults(func=_score)

    v = nsub.add_parser("convert", help="convert a model between .ngram, ARPA and .npz (by the output's suffix)")
    v.add_argument("model", help="the model to read (.ngram, ARPA or .npz)")
    v.add_argument("output", help="the file to write: .ngram, .npz, .arpa(.gz/.xz/.bz2), or '-' for ARPA on stdout")
    v.add_argument("--precision", choices=["double", "float"], default="double",
                   help="float: float32 values in a .ngram file, or KenLM's number format in ARPA")
    common(v)
    v.set_defaults(func=_convert)

    g = nsub.add_parser("generate", help="generate sentences (greedy or sampled)")
    g.add_argument("model")
    g.add_argument("-n", type=int, default=5, help="number of sentences")
    g.add_argument("--strategy", choices=["greedy", "sample"], default="sample")
    g.add_argument("--temperature", type=float, default=1.0)
    g.add_argument("--top-k", type=int, default=None)
    g.add_argument("--max-words", type=int, default=30)
    g.add_argument("--prefix", default=None, help="words every sentence starts with")
    g.add_argument("--seed", type=int, default=None)
    g.add_argument("--allow-unk", action="store_true", help="allow <unk> in the output")
    common(g)
    g.set_defaults(func=_generate)

    k = nsub.add_parser("complete", help="most probable next words after a prefix")
    k.add_argument("model")
    k.add_argument("prefix", nargs="*", help="the words so far (the start of a sentence)")
    k.add_argument("-k", type=int, default=5)
    common(k)
    k.set_defaults(func=_complete)
