"""Time one epoch of the 60,000 x 784 stand-in twice and print a hash of the weights.

For before/after comparisons of two builds installed side by side::

    pip install --no-deps --target /tmp/old-site <old checkout>
    PYTHONPATH=/tmp/old-site python bench/rbm_ab.py float32   # the old build
    python bench/rbm_ab.py float32                            # the installed one

Works with both the old parameter names (n_hidden/n_epochs/monitor) and the new ones.
"""
import hashlib
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from infogen import BernoulliRBM  # noqa: E402
from test_bench_rbm import standin  # noqa: E402

old = "n_hidden" in BernoulliRBM.__init__.__code__.co_varnames
dtype = np.dtype(sys.argv[1] if len(sys.argv) > 1 else "float32")
X = standin(dtype, 60_000)
kw = dict(n_epochs=1, monitor=False) if old else dict(n_iter=1)
times = []
for _ in range(2):
    m = BernoulliRBM(500, batch_size=100, learning_rate=0.1, random_state=0, **kw)
    t = time.perf_counter()
    m.fit(X)
    times.append(time.perf_counter() - t)
print("old" if old else "new", dtype, " ".join(f"{t:.3f}" for t in times),
      hashlib.sha256(m.components_.tobytes()).hexdigest()[:12], flush=True)
