"""N-gram language models: counting (C++), estimation, scoring, generation, ARPA I/O.

See :class:`NGramCounts`, :class:`NGramLM` and :class:`NGramClassifier`.
"""
from infogen.ngram.arpa import read_arpa, write_arpa
from infogen.ngram.classify import NGramClassifier
from infogen.ngram.counts import NGramCounts
from infogen.ngram.model import SMOOTHINGS, NGramLM
from infogen.ngram.outofcore import count_to_file

__all__ = ["NGramClassifier", "NGramCounts", "NGramLM", "SMOOTHINGS", "count_to_file", "read_arpa", "write_arpa"]
