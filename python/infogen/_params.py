"""scikit-learn's estimator conventions without importing scikit-learn at start-up.

Importing ``sklearn`` takes over a second, too much for ``infogen ngram score`` or
``import infogen``. :class:`ParamsMixin` gives an estimator ``get_params``/``set_params``
(what ``sklearn.base.clone``, ``GridSearchCV`` and ``Pipeline`` use) and a scikit-learn
``__repr__``-like summary, read from the ``__init__`` signature as scikit-learn does; the
tags and ``NotFittedError`` come from scikit-learn only when they are asked for.
"""
from __future__ import annotations

import inspect
from typing import Any

__all__ = ["ParamsMixin", "not_fitted"]


class ParamsMixin:
    """``get_params``/``set_params`` from the keyword parameters of ``__init__``.

    Parameters must be stored unchanged under their own names in ``__init__`` (no logic
    there), exactly as scikit-learn requires, so ``clone`` can rebuild the estimator.
    """

    @classmethod
    def _get_param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values()
                      if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters of this estimator (``deep`` includes those of nested estimators)."""
        out: dict[str, Any] = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            out[name] = value
        return out

    def set_params(self, **params: Any) -> Any:
        """Set parameters (``name`` or ``nested__name``); returns self."""
        valid = self._get_param_names()
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; valid parameters: {valid}")
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import InputTags, Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False), input_tags=InputTags())


def not_fitted(estimator: Any, hint: str = "call fit() first") -> Exception:
    """scikit-learn's ``NotFittedError`` (a ValueError and AttributeError) for `estimator`."""
    try:
        from sklearn.exceptions import NotFittedError
    except ImportError:  # pragma: no cover - scikit-learn is a dependency
        class NotFittedError(ValueError, AttributeError):  # type: ignore[no-redef]
            pass
    return NotFittedError(f"this {type(estimator).__name__} instance is not fitted yet: {hint}")
