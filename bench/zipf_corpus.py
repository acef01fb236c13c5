"""Write the seeded Zipfian benchmark corpus: ``python bench/zipf_corpus.py OUT N_TOKENS``.

Zipf(1.1) word ranks capped at 2*10^5 types (words ``w1``, ``w2``, ...), sentences of 1..40
words, generated in chunks of 5*10^6 tokens so a 10^8-token corpus needs little memory.
The same (n_tokens, seed) always gives the same file.
"""
import sys

import numpy as np

CHUNK = 5_000_000


def write_zipf_corpus(path, n_tokens, seed=2026):
    """Write n_tokens Zipf-distributed words to ``path``, one sentence per line."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        left = n_tokens
        while left > 0:
            n = min(CHUNK, left)
            ranks = np.minimum(rng.zipf(1.1, size=n), 200_000)
            words = np.char.add("w", ranks.astype(str))
            ends = np.cumsum(rng.integers(1, 41, size=n // 20 + 1))
            for sent in np.split(words, ends[ends < n]):
                if sent.size:
                    f.write(" ".join(sent.tolist()) + "\n")
            left -= n
    return str(path)


if __name__ == "__main__":
    write_zipf_corpus(sys.argv[1], int(float(sys.argv[2])))
