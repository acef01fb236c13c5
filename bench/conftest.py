"""Benchmark configuration: sizes, dtypes and optional peers.

With ``--benchmark-disable`` (the CI smoke run) every benchmark runs once on small inputs;
a real run (``--benchmark-only``) uses the full sizes of the issue.
"""
import numpy as np
import pytest

FULL_SHAPES = [(100_000, 100), (10_000, 1_000), (1_000, 100_000)]
SMOKE_SHAPES = [(1_000, 100), (100, 1_000), (10, 10_000)]


def pytest_generate_tests(metafunc):
    if "shape" in metafunc.fixturenames:
        smoke = metafunc.config.getoption("benchmark_disable", False)
        shapes = SMOKE_SHAPES if smoke else FULL_SHAPES
        metafunc.parametrize("shape", shapes, ids=[f"{r}x{c}" for r, c in shapes])


@pytest.fixture(params=[np.float64, np.float32], ids=["f64", "f32"])
def dtype(request):
    return np.dtype(request.param)


def torch_or_skip():
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    torch.set_num_threads(2)
    return torch
