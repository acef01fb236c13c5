"""The VAE's fused C++ kernels against the NumPy references in infogen.reference.vae."""
import numpy as np
import pytest
from infogen import _core
from infogen.reference import vae as ref
from infogen.vae import ACTIVATIONS

RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 2e-6}


def fn(name, dtype):
    return getattr(_core, f"vae_{name}" + ("_f64" if dtype == np.float64 else "_f32"))


def close(actual, expected, dtype, atol=0.0):
    np.testing.assert_allclose(np.asarray(actual, np.float64), np.asarray(expected, np.float64),
                               rtol=RTOL[np.dtype(dtype)] * 4, atol=atol)


def test_reparameterize_exact_given_eps(rng, dtype):
    mu = rng.normal(size=(50, 7)).astype(dtype)
    lv = rng.uniform(-6, 3, size=(50, 7)).astype(dtype)
    z, eps, lr = fn("reparameterize", dtype)(mu, lv, 1, 123, 0, True, 1)
    assert z.dtype == eps.dtype == lr.dtype == dtype
    z_ref, lr_ref = ref.reparameterize(mu, lv, eps)
    np.testing.assert_allclose(z, z_ref, rtol=RTOL[dtype], atol=RTOL[dtype])
    close(lr, lr_ref, dtype, atol=1e-5 if dtype == np.float32 else 1e-12)


def test_reparameterize_repeat_and_streams(rng, dtype):
    mu = rng.normal(size=(6, 3)).astype(dtype)
    lv = rng.normal(size=(6, 3)).astype(dtype)
    z, eps, lr = fn("reparameterize", dtype)(mu, lv, 4, 9, 0, True, 1)
    assert z.shape == (24, 3) and lr.shape == (24,)
    z_ref, lr_ref = ref.reparameterize(mu, lv, eps, repeat=4)
    np.testing.assert_allclose(z, z_ref, rtol=RTOL[dtype], atol=RTOL[dtype])
    # a row's draws depend only on (seed, stream_offset + row): a slice with the matching
    # offset reproduces the full call's rows
    z2, eps2, _ = fn("reparameterize", dtype)(mu[2:4], lv[2:4], 4, 9, 8, False, 1)
    np.testing.assert_array_equal(eps2, eps[8:16])
    np.testing.assert_array_equal(z2, z[8:16])
    # eps do not depend on mu/logvar; a different seed gives different draws
    _, eps3, _ = fn("reparameterize", dtype)(mu * 0, lv * 0, 4, 9, 0, False, 1)
    np.testing.assert_array_equal(eps3, eps)
    _, eps4, _ = fn("reparameterize", dtype)(mu, lv, 4, 10, 0, False, 1)
    assert not np.array_equal(eps4, eps)


def test_reparameterize_distribution():
    stats = pytest.importorskip("scipy.stats")
    mu = np.full((20000, 5), 1.5)
    lv = np.full((20000, 5), np.log(4.0))
    z, eps, _ = _core.vae_reparameterize_f64(mu, lv, 1, 2026, 0, False, 2)
    assert stats.kstest(eps.ravel(), "norm").pvalue > 1e-3
    assert stats.kstest(z.ravel(), "norm", args=(1.5, 2.0)).pvalue > 1e-3
    # columns (draws within a row) are uncorrelated
    c = np.corrcoef(eps.T)
    assert np.max(np.abs(c - np.eye(5))) < 0.05


@pytest.mark.parametrize("name", ["reparameterize", "bias_activation", "adam_update"])
def test_bit_identical_with_one_and_two_threads(rng, dtype, name):
    a = rng.normal(size=(3000, 96)).astype(dtype)  # above the kernels' parallel threshold
    b = rng.normal(size=96).astype(dtype)
    if name == "reparameterize":
        def run(t):
            return np.concatenate([x.ravel() for x in fn(name, dtype)(a, b * 0 + a, 2, 5, 0, True, t)])
    elif name == "bias_activation":
        def run(t):
            out = a.copy()
            fn(name, dtype)(out, b, ACTIVATIONS["softplus"], t)
            return out
    else:
        def run(t):
            p, m, v = a.copy(), np.zeros_like(a), np.zeros_like(a)
            for step in (1, 2):
                fn(name, dtype)(p, a * 0.5, m, v, 1e-3, 0.9, 0.999, 1e-8, step, t)
            return np.concatenate([p.ravel(), m.ravel(), v.ravel()])
    assert run(1).tobytes() == run(2).tobytes()


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_activation_forward_backward(rng, dtype, act):
    a = (rng.normal(size=(40, 33)) * 4).astype(dtype)
    a[0, :5] = [0.0, -0.0, 80.0, -80.0, 1e-3]
    b = rng.normal(size=33).astype(dtype)
    h = a.copy()
    fn("bias_activation", dtype)(h, b, ACTIVATIONS[act], 1)
    close(h, ref.bias_activation(a.astype(np.float64), b.astype(np.float64), act), dtype, atol=RTOL[dtype])
    h2 = a.copy()
    fn("bias_activation", dtype)(h2, None, ACTIVATIONS[act], 1)
    close(h2, ref.bias_activation(a.astype(np.float64), None, act), dtype, atol=RTOL[dtype])
    g = rng.normal(size=h.shape).astype(dtype)
    g2 = g.copy()
    fn("activation_backward", dtype)(g2, h, ACTIVATIONS[act], 1)
    close(g2, ref.activation_backward(g.astype(np.float64), h.astype(np.float64), act), dtype,
          atol=RTOL[dtype])


def test_activation_derivatives_match_finite_differences(rng):
    a = rng.normal(size=(3, 20)) * 2
    a[np.abs(a) < 1e-3] = 0.5  # away from relu's kink
    for act, code in ACTIVATIONS.items():
        h = a.copy()
        _core.vae_bias_activation_f64(h, None, code, 1)
        g = np.ones_like(a)
        _core.vae_activation_backward_f64(g, h, code, 1)
        step = 1e-6
        hp, hm = a + step, a - step
        _core.vae_bias_activation_f64(hp, None, code, 1)
        _core.vae_bias_activation_f64(hm, None, code, 1)
        np.testing.assert_allclose(g, (hp - hm) / (2 * step), rtol=1e-6, atol=1e-8, err_msg=act)


def test_split_head(rng, dtype):
    raw = (rng.normal(size=(30, 12)) * 20).astype(dtype)
    raw[0, 7] = np.nan
    b = rng.normal(size=12).astype(dtype)
    mu, lv = fn("split_head", dtype)(raw, b, -10.0, 10.0, 1)
    assert mu.shape == lv.shape == (30, 6) and mu.flags.c_contiguous and lv.flags.c_contiguous
    emu, elv = ref.split_head(raw, b, -10.0, 10.0)
    np.testing.assert_array_equal(mu, emu)
    assert np.isnan(lv[0, 1]) and np.nanmax(np.abs(lv)) <= 10
    np.testing.assert_array_equal(lv[1:], elv[1:])
    mu0, lv0 = fn("split_head", dtype)(raw, None, -10.0, 10.0, 1)
    np.testing.assert_array_equal(mu0, raw[:, :6])
    with pytest.raises(ValueError, match="lo must be below hi"):
        fn("split_head", dtype)(raw, b, 1.0, 1.0, 1)
    with pytest.raises(ValueError, match="2 \\* n_latent columns"):
        fn("split_head", dtype)(raw[:, :11].copy(), None, -1.0, 1.0, 1)


def test_latent_backward(rng, dtype):
    shape = (25, 4)
    gz, eps, kgm, kgl = (rng.normal(size=shape).astype(dtype) for _ in range(4))
    lv = rng.uniform(-12, 12, size=shape).astype(dtype)
    lv[0, :2] = [-10.0, 10.0]  # exactly on the clamp: zero gradient
    head = fn("latent_backward", dtype)(gz, eps, lv, kgm, kgl, 0.25, -10.0, 10.0, 1)
    assert head.shape == (25, 8)
    expected = ref.latent_backward(*(a.astype(np.float64) for a in (gz, eps, lv, kgm, kgl)), 0.25, -10.0, 10.0)
    close(head, expected, dtype, atol=RTOL[dtype] * 10)
    assert head[0, 4] == 0 and head[0, 5] == 0


def test_adam_matches_reference(rng, dtype):
    p = rng.normal(size=1000).astype(dtype)
    m, v = np.zeros_like(p), np.zeros_like(p)
    rp, rm, rv = p.astype(np.float64), m.astype(np.float64), v.astype(np.float64)
    for step in range(1, 6):
        g = rng.normal(size=p.shape).astype(dtype)
        fn("adam_update", dtype)(p, g, m, v, 1e-2, 0.9, 0.999, 1e-8, step, 1)
        rp, rm, rv = ref.adam_update(rp, g.astype(np.float64), rm, rv, 1e-2, 0.9, 0.999, 1e-8, step)
    close(m, rm, dtype, atol=RTOL[dtype])
    close(v, rv, dtype, atol=RTOL[dtype])
    np.testing.assert_allclose(p, rp, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-6 if dtype == np.float32 else 0)


def test_adam_against_torch(rng):
    torch = pytest.importorskip("torch")
    p0 = rng.normal(size=200)
    grads = [rng.normal(size=200) for _ in range(4)]
    tp = torch.nn.Parameter(torch.tensor(p0))
    opt = torch.optim.Adam([tp], lr=1e-2)
    p, m, v = p0.copy(), np.zeros(200), np.zeros(200)
    for step, g in enumerate(grads, 1):
        tp.grad = torch.tensor(g)
        opt.step()
        _core.vae_adam_update_f64(p, g, m, v, 1e-2, 0.9, 0.999, 1e-8, step, 1)
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_in_place_arguments_refuse_copies(dtype):
    a = np.zeros((10, 8), dtype=dtype)
    with pytest.raises(TypeError):
        fn("bias_activation", dtype)(a[:, ::2], None, 1, 1)  # not contiguous: would update a copy
    with pytest.raises(TypeError):
        fn("bias_activation", dtype)(a.astype(np.float32 if dtype == np.float64 else np.float64), None, 1, 1)
    with pytest.raises(ValueError, match="bias has 3 entries, expected 8"):
        fn("bias_activation", dtype)(a, np.zeros(3, dtype), 1, 1)
    with pytest.raises(ValueError, match="unknown activation"):
        fn("bias_activation", dtype)(a, None, 9, 1)
    p = np.zeros(5, dtype)
    with pytest.raises(ValueError, match="step must be at least 1"):
        fn("adam_update", dtype)(p, p.copy(), p.copy(), p.copy(), 1e-3, 0.9, 0.999, 1e-8, 0, 1)
    with pytest.raises(ValueError, match="grad has 4 entries"):
        fn("adam_update", dtype)(p, np.zeros(4, dtype), p.copy(), p.copy(), 1e-3, 0.9, 0.999, 1e-8, 1, 1)
    with pytest.raises(ValueError, match="same shape"):
        fn("reparameterize", dtype)(a, a[:5], 1, 0, 0, False, 1)
    with pytest.raises(ValueError, match="repeat"):
        fn("reparameterize", dtype)(a, a, 0, 0, 0, False, 1)


def test_kernels_on_arbitrary_inputs_hypothesis():
    hyp = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    hnp = pytest.importorskip("hypothesis.extra.numpy")

    finite = st.floats(-1e4, 1e4, allow_nan=False, width=64)

    @hyp.settings(max_examples=60, deadline=None)
    @hyp.given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=9), elements=finite),
               st.sampled_from(sorted(ACTIVATIONS)))
    def check(a, act):
        h = a.copy()
        _core.vae_bias_activation_f64(h, None, ACTIVATIONS[act], 1)
        with np.errstate(over="ignore"):
            expected = ref.bias_activation(a, None, act)
        assert np.all(np.isfinite(h)) or act == "identity"
        np.testing.assert_allclose(h, expected, rtol=1e-12, atol=1e-300)
        lv = np.clip(a, -30, 30)
        z, eps, lr = _core.vae_reparameterize_f64(a, lv, 1, 11, 0, True, 1)
        z_ref, lr_ref = ref.reparameterize(a, lv, eps)
        np.testing.assert_allclose(z, z_ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(lr, lr_ref, rtol=1e-9, atol=1e-9)

    check()


def test_read_only_arguments_refuse_conversion(dtype):
    other = np.float32 if dtype == np.float64 else np.float64
    mu = np.zeros((4, 3), dtype)
    with pytest.raises(TypeError):
        fn("reparameterize", dtype)(mu.astype(other), mu, 1, 0, 0, False, 1)
    with pytest.raises(TypeError):
        fn("reparameterize", dtype)(np.asfortranarray(np.zeros((4, 3), dtype)), mu, 1, 0, 0, False, 1)
    with pytest.raises(TypeError):
        fn("latent_backward", dtype)(mu, mu, mu, mu, mu.astype(other), 1.0, -1.0, 1.0, 1)
