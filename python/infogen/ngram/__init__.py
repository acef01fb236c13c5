"""N-gram language models: counting (C++), estimation, scoring, generation, ARPA I/O.

See :class:`NGramCounts`, :class:`NGramLM`, :class:`NGramClassifier` and :func:`build_arpa`.
"""
from infogen.ngram.arpa import write_arpa
from infogen.ngram.build import BuildReport, build_arpa
from infogen.ngram.counts import NGramCounts
from infogen.ngram.model import SMOOTHINGS, NGramLM, read_arpa
from infogen.ngram.outofcore import count_to_file


def __getattr__(name: str):  # noqa: ANN202 - PEP 562: the classifier builds on scikit-learn, loaded on use
    if name == "NGramClassifier":
        from infogen.ngram.classify import NGramClassifier

        globals()[name] = NGramClassifier
        return NGramClassifier
    raise AttributeError(f"module 'infogen.ngram' has no attribute {name!r}")


__all__ = ["BuildReport", "NGramClassifier", "NGramCounts", "NGramLM", "SMOOTHINGS", "build_arpa", "count_to_file",
           "read_arpa", "write_arpa"]
