"""SIMD dispatch: the module chosen at import, its report, and agreement between levels.

A portable build holds one compiled module per x86-64 level. Each level this machine runs is
imported in its own subprocess (``INFOGEN_SIMD`` caps the level; two levels cannot share a
process) and must give the same results as the best level: float64 information measures
to the suite's float64 tolerance, float32 RBM weights to 1e-5, each bit-identical for one
and two threads. A native build has a single module: those tests skip.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import infogen
import numpy as np
import pytest
from conftest import RTOL
from infogen import _core, _dispatch

FAMILIES = ("info", "ngram", "rbm", "vae")


def _runnable_levels():
    """(INFOGEN_SIMD name, module) of every level built here that this CPU runs, best first."""
    choice = _dispatch.choice
    offered = choice.get("offered", [])
    level = choice.get("cpu", {}).get("x86_level", 0)
    return [(name, module) for name, module, need in _dispatch.LEVELS if module in offered and need <= level]


LEVELS = _runnable_levels()
needs_dispatch = pytest.mark.skipif("_core" in _dispatch.choice.get("offered", ["_core"]),
                                    reason="single-module (native) build: no SIMD levels to compare")


def _run(code, simd=None, timeout=600):
    env = dict(os.environ)
    env.pop(_dispatch.ENV, None)
    if simd is not None:
        env[_dispatch.ENV] = simd
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          timeout=timeout)


# ---------------------------------------------------------------- the report
def test_core_is_one_module_known_as_infogen_core():
    assert sys.modules["infogen._core"] is _core is infogen._core
    assert _core.__name__ == "infogen._core"
    assert _core.build_info["module"] == _dispatch.choice["module"]


def test_show_config_reports_every_kernel_family(capsys):
    cfg = infogen.show_config()
    out = capsys.readouterr().out
    assert set(cfg["kernels"]) == set(FAMILIES)
    for family in FAMILIES:
        assert cfg["kernels"][family].startswith(_dispatch.choice["module"] + ": ")
        assert f"kernels.{family}" in out
    assert cfg["module"] == "infogen." + _dispatch.choice["module"]
    assert cfg["dispatch_reason"] and cfg["modules_built"]
    for key in ("module", "modules_built", "dispatch_reason", "cpu", "cpu_flags"):
        assert key in out


def test_cpu_detection_is_consistent():
    from infogen import _cpuinfo

    cpu = _cpuinfo.features()
    flags = cpu["flags"]
    if cpu["arch"] != "x86_64":
        assert cpu["x86_level"] == 0
        return
    assert 1 <= cpu["x86_level"] <= 4
    if cpu["x86_level"] >= 3:
        assert flags["avx2"] and flags["fma"] and flags["os_avx"]
    if cpu["x86_level"] == 4:
        assert flags["avx512f"] and flags["avx512bw"] and flags["os_avx512"]
    if not flags["os_avx512"]:
        assert not flags["avx512f"] and cpu["x86_level"] <= 3
    if Path("/proc/cpuinfo").exists():  # Linux lists what the kernel enabled
        listed = set()
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                listed = set(line.split(":", 1)[1].split())
                break
        for name in ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "bmi2", "popcnt", "sse4_2"):
            assert flags[name] == (name in listed), name


def test_unknown_level_is_a_clear_error():
    result = _run("import infogen", simd="avx9000")
    assert result.returncode != 0
    assert "INFOGEN_SIMD='avx9000' is not a SIMD level" in result.stderr


# ---------------------------------------------------------------- the levels agree
_PROBE = """
import json, sys
import numpy as np
import infogen
from infogen import BernoulliRBM, _dispatch, datasets

out = {"module": _dispatch.choice["module"], "kernels": infogen._core.build_info["kernels"]}
rng = np.random.default_rng(5)
logits = rng.normal(scale=3.0, size=(300, 257))
p = infogen.softmax(logits)
q = infogen.softmax(rng.normal(size=(300, 257)))
q[:, :3] = 0.0
q /= q.sum(axis=1, keepdims=True)
info = {}
for t in (1, 2):
    info[t] = np.concatenate([
        infogen.entropy(logits=logits, n_threads=t), infogen.entropy(p, n_threads=t),
        infogen.kl_divergence(p, q, n_threads=t), infogen.js_divergence(p, q, n_threads=t),
        infogen.cross_entropy(p, q, n_threads=t), infogen.logsumexp(logits, axis=-1, n_threads=t)])
assert info[1].tobytes() == info[2].tobytes(), "info: thread count changed the result"
X = datasets.load_digits(binary=True)[0].astype(np.float32)
fits = [BernoulliRBM(64, n_iter=2, batch_size=50, random_state=3, momentum=0.5, monitor=False,
                     n_threads=t).fit(X) for t in (1, 2)]
assert fits[0].components_.tobytes() == fits[1].components_.tobytes(), "rbm: thread count changed the result"
assert fits[0].components_.dtype == np.float32
np.savez(sys.argv[1] if len(sys.argv) > 1 else "{path}", info=info[1], W=fits[0].components_,
         b=fits[0].intercept_hidden_, c=fits[0].intercept_visible_)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def level_results(tmp_path_factory):
    results = {}
    for name, module in LEVELS:
        path = tmp_path_factory.mktemp(name) / "out.npz"
        run = _run(_PROBE.replace("{path}", str(path)), simd=name)
        assert run.returncode == 0, f"{name}: {run.stderr[-3000:]}"
        meta = json.loads(run.stdout.strip().splitlines()[-1])
        assert meta["module"] == module, (name, meta)
        with np.load(path) as data:
            results[name] = (meta, {key: data[key] for key in data.files})
    return results


@needs_dispatch
def test_each_level_is_importable_and_reports_itself(level_results):
    assert [name for name, _ in LEVELS][-1] == "baseline"
    for name, (meta, _) in level_results.items():
        assert set(meta["kernels"]) == set(FAMILIES)
        if name == "baseline":
            assert "AVX" not in meta["kernels"]["info"], meta
        elif name == "avx2":
            assert "AVX2" in meta["kernels"]["info"] and "AVX-512" not in meta["kernels"]["rbm"], meta
        else:
            assert "AVX-512" in meta["kernels"]["rbm"], meta


@needs_dispatch
def test_levels_give_the_same_information_measures(level_results):
    best, (_, ref) = next(iter(level_results.items()))
    for name, (_, got) in level_results.items():
        ok = np.isfinite(ref["info"])
        np.testing.assert_array_equal(np.isfinite(got["info"]), ok, err_msg=name)
        np.testing.assert_allclose(got["info"][ok], ref["info"][ok], rtol=RTOL[np.dtype(np.float64)],
                                   atol=1e-14, err_msg=f"{name} vs {best}")


@needs_dispatch
def test_levels_give_the_same_float32_rbm(level_results):
    best, (_, ref) = next(iter(level_results.items()))
    for name, (_, got) in level_results.items():
        for key in ("W", "b", "c"):
            assert got[key].dtype == np.float32
            np.testing.assert_allclose(got[key], ref[key], rtol=1e-5, atol=1e-5, err_msg=f"{key}: {name} vs {best}")


SMOKE = ["tests/test_core_info.py", "tests/test_fastlog.py", "tests/test_binary_matmul.py", "tests/test_random.py",
         "tests/test_threads.py"]


@needs_dispatch
@pytest.mark.parametrize("name", [name for name, _ in LEVELS[1:]])
def test_lower_levels_pass_the_smoke_tests(name):
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, **{_dispatch.ENV: name})
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *SMOKE],
                         cwd=root, env=env, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
