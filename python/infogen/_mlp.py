"""Shared machinery of infogen's multilayer perceptrons (:class:`~infogen.VAE`, :class:`~infogen.Autoencoder`).

- Parameter checks (:func:`check_int`, :func:`check_float`) and the models' generator
  (:func:`generator`).
- Dense layers: the product runs in NumPy (BLAS), bias + activation in one pass of the
  core's fused kernel (``vae.hpp``: ``bias_activation``); :func:`backward` runs the
  backward pass through a chain of such layers (weight and bias gradients, and
  ``activation_backward`` in place).
- One Adam step over a flat parameter vector (:func:`adam_step`, the core's
  ``adam_update``).
- :class:`FlatParamsMixin`: parameters, gradients and Adam's moments live in flat vectors
  and ``params_`` holds views of them; pickle, ``copy.deepcopy`` and joblib (also
  ``mmap_mode="r"``) store the vectors and rebuild the views, so a restored model trains on
  bit for bit.
- :func:`limit_blas`: BLAS threads limited for the duration of a method.
"""
from __future__ import annotations

import contextlib
import functools
import math
from typing import Any

import numpy as np

from infogen import _validation as v
from infogen._random import check_random_state, draw_seed

__all__ = ["ACTIVATIONS", "FlatParamsMixin", "adam_step", "backward", "blas_threads", "check_float",
           "check_int", "core", "dense", "generator", "limit_blas", "views"]

#: The core's activation codes (vae.hpp: enum class Activation).
ACTIVATIONS = {"identity": 0, "relu": 1, "tanh": 2, "sigmoid": 3, "softplus": 4}

_controller: Any = None


def blas_threads(n: int | None) -> contextlib.AbstractContextManager:
    """Limit NumPy's BLAS to `n` threads inside the block (no-op for None).

    OpenBLAS's own threads wake up for every small product and, on a busy 2-core machine,
    spin against each other and against infogen's OpenMP threads (measured here: a
    128x64 @ 64x256 float32 product takes 58 us with 1 BLAS thread and 145 us with 2).
    """
    global _controller
    if n is None:
        return contextlib.nullcontext()
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=n, user_api="blas")


def limit_blas(method):
    """Run a method with BLAS limited to the model's ``blas_threads``."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        n = self.blas_threads
        if n is not None:
            check_int(n, "blas_threads", 1)
        with blas_threads(n):
            return method(self, *args, **kwargs)

    return wrapper


def core(name: str, dtype: np.dtype):
    """Return the core's MLP kernel `name` (``vae_<name>_f32/_f64``) for `dtype`."""
    return v.core_fn("vae_" + name, dtype)


def check_int(value: Any, name: str, lo: int) -> int:
    """`value` as an int >= `lo`, or a ValueError naming `name`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def check_float(value: Any, name: str, lo: float, *, strict: bool, hi: float | None = None) -> float:
    """`value` as a finite float >= `lo` (> with `strict`; <= `hi` if given)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x) or x < lo or (strict and x == lo):
        raise ValueError(f"{name} must be finite and {'>' if strict else '>='} {lo:g}, got {value!r}")
    if hi is not None and x > hi:
        raise ValueError(f"{name} must be at most {hi:g}, got {value!r}")
    return x


def generator(random_state: Any) -> np.random.Generator:
    """Return a model's generator for `random_state` (checked by the shared :func:`check_random_state`).

    A Generator is used as is, an int seeds ``default_rng`` (so seeded results stay as
    they have always been), a RandomState gives one :func:`draw_seed` draw.
    """
    rs = check_random_state(random_state)  # type and range; a given generator is not advanced
    if isinstance(rs, np.random.Generator):
        return rs
    if isinstance(random_state, (int, np.integer)):
        return np.random.default_rng(int(random_state))
    return np.random.default_rng(draw_seed(rs))


def views(flat: np.ndarray, spec: list[tuple[str, tuple[int, ...]]]) -> dict[str, np.ndarray]:
    """Named views of consecutive blocks of `flat`, in the order and shapes of `spec`."""
    out, offset = {}, 0
    for name, shape in spec:
        size = int(np.prod(shape))
        out[name] = flat[offset:offset + size].reshape(shape)
        offset += size
    return out


def dense(h: np.ndarray, W: np.ndarray, b: np.ndarray | None, act: int, threads: int) -> np.ndarray:
    """``act(h @ W + b)``: the product in BLAS, bias + activation in one fused pass."""
    a = h @ W
    core("bias_activation", a.dtype)(a, b, act, threads)
    return a


def backward(hs: list[np.ndarray], g: np.ndarray, Ws: list[np.ndarray], gWs: list[np.ndarray],
             gbs: list[np.ndarray], acts: list[int], threads: int, *, input_grad: bool = False,
             extra: list[np.ndarray | None] | None = None) -> np.ndarray | None:
    """Backward pass through the dense layers ``hs[k + 1] = act_k(hs[k] @ Ws[k] + b_k)``.

    Parameters
    ----------
    hs : the layers' inputs ``hs[0] ... hs[K-1]`` (later entries are ignored).
    g : gradient of the objective with respect to the last layer's pre-activation.
    Ws : the K weight matrices; ``gWs``, ``gbs``: where their gradients are written.
    acts : ``acts[k]`` is layer k's activation code (the one that produced ``hs[k + 1]``).
    input_grad : also return the gradient with respect to ``hs[0]``.
    extra : optional additive terms of the gradient with respect to layer k's
        pre-activation (``extra[k]``, for k < K - 1), from a penalty on the activations.

    Returns
    -------
    The gradient with respect to ``hs[0]`` (``input_grad=True``), else None. ``g`` may be
    overwritten.
    """
    for k in range(len(Ws) - 1, -1, -1):
        np.matmul(hs[k].T, g, out=gWs[k])
        np.sum(g, axis=0, out=gbs[k])
        if k > 0 or input_grad:
            g = g @ Ws[k].T
            if k > 0:
                core("activation_backward", g.dtype)(g, hs[k], acts[k - 1], threads)
                if extra is not None and extra[k - 1] is not None:
                    g += extra[k - 1]
    return g if input_grad else None


def adam_step(flat: np.ndarray, grad: np.ndarray, m: np.ndarray, v_: np.ndarray, lr: float, step: int,
              threads: int) -> None:
    """One in-place Adam step (betas 0.9, 0.999, eps 1e-8, as torch.optim.Adam); `step` >= 1."""
    core("adam_update", flat.dtype)(flat, grad, m, v_, lr, 0.9, 0.999, 1e-8, step, threads)


#: NumPy bit generators a saved model's random state may name
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class FlatParamsMixin:
    """Pickle, copy and joblib support for models whose state lives in flat vectors.

    The model defines ``_views(flat) -> dict`` and keeps ``_flat``, ``_grad_flat``, ``_m``
    and ``_v``; ``params_`` and ``_grads`` are views of the first two.
    """

    _VIEWS: tuple[str, ...] = ("params_", "_grads")
    _FLATS: tuple[str, ...] = ("_flat", "_grad_flat", "_m", "_v")

    def __getstate__(self) -> dict:
        # params_ and _grads are views of the flat vectors: store the vectors only, and
        # rebuild the views on the way back (a copy of the views would no longer share
        # memory with the vectors that Adam updates, and the model would stop learning)
        state = super().__getstate__()
        return {k: val for k, val in state.items() if k not in self._VIEWS}

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if "_flat" in state:
            self._rebuild_views()

    # .npz files of a model (the flat vectors + JSON metadata; no pickle). The model class
    # sets _FILE_FORMAT, _FILE_VERSION and _from_saved(meta, arrays).
    _FILE_FORMAT = ""
    _FILE_VERSION = 1

    def _write_saved(self, path: Any, meta: dict) -> None:
        """Write `meta` (the model's parameters) with the training state, atomically."""
        import json

        from infogen._io import atomic_write

        meta.update(format=self._FILE_FORMAT, version=self._FILE_VERSION, dtype=self._dt.name,
                    n_features_in=self.n_features_in_, n_steps=self.n_steps_,
                    n_epochs_trained=self.n_epochs_trained_, history=self.history_,
                    rng_state=self._rng.bit_generator.state, rng_kind=type(self._rng.bit_generator).__name__)
        text = json.dumps(meta, allow_nan=True)
        with atomic_write(path) as fh:
            np.savez(fh, params=self._flat, adam_m=self._m, adam_v=self._v, meta=np.array(text))

    @classmethod
    def _read_saved(cls, path: Any) -> Any:
        """The model in a file written by _write_saved; errors name the file."""
        import json
        import os

        name = cls.__name__
        a_name = ("an " if name[0] in "AEIOU" else "a ") + name
        if not os.path.exists(path):
            raise FileNotFoundError(f"no such {name} file: {os.fspath(path)!r}")
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in ("params", "adam_m", "adam_v", "meta")}
        except (KeyError, ValueError, OSError) as exc:
            raise ValueError(f"{os.fspath(path)!r} is not {a_name} file written by {name}.save ({exc})") from exc
        try:
            meta = json.loads(str(arrays["meta"]))
            if not isinstance(meta, dict) or meta.get("format") != cls._FILE_FORMAT or \
                    meta.get("version") != cls._FILE_VERSION:
                raise ValueError(f"not a version-{cls._FILE_VERSION} {cls._FILE_FORMAT} file")
            return cls._from_saved(meta, arrays)
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError, ValueError) as exc:
            raise ValueError(f"{os.fspath(path)!r} is not a valid {name} file: {exc}") from exc

    def _restore_training_state(self, meta: dict, arrays: dict) -> None:
        """Fill the allocated flat vectors, the step counters, the history and the random
        generator from a saved file's arrays and metadata (checked: shapes, finiteness,
        the generator's kind)."""
        for key, dest in (("params", self._flat), ("adam_m", self._m), ("adam_v", self._v)):
            if arrays[key].shape != dest.shape:
                raise ValueError(f"{key} has shape {arrays[key].shape}, expected {dest.shape} for this architecture")
            dest[...] = arrays[key]
        if not np.isfinite(self._flat).all():
            raise ValueError("the saved parameters contain NaN or infinity")
        self.n_steps_ = int(meta["n_steps"])
        self.n_epochs_trained_ = int(meta["n_epochs_trained"])
        self.history_ = meta["history"]
        if meta["rng_kind"] not in BIT_GENERATORS:
            raise ValueError(f"unknown random generator {meta['rng_kind']!r}")
        bitgen = getattr(np.random, meta["rng_kind"])()
        bitgen.state = meta["rng_state"]
        self._rng = np.random.Generator(bitgen)

    def _rebuild_views(self) -> None:
        self.params_ = self._views(self._flat)
        self._grads = self._views(self._grad_flat)

    def _ensure_writeable(self) -> None:
        """Copy vectors Adam cannot update in place (read-only after joblib's mmap_mode='r')."""
        names = self._FLATS
        if all(getattr(self, n).flags.writeable and type(getattr(self, n)) is np.ndarray for n in names):
            return
        for n in names:
            setattr(self, n, np.array(getattr(self, n), order="C", copy=True))
        self._rebuild_views()
