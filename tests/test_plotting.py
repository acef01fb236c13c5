import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from infogen import BernoulliRBM  # noqa: E402
from infogen.datasets import load_digits  # noqa: E402
from infogen.plotting import plot_images, plot_rbm_filters, plot_training_curves  # noqa: E402


def test_rbm_figures(tmp_path):
    import matplotlib.pyplot as plt

    X, X_test, _ = load_digits(binary=True)
    rbm = BernoulliRBM(12, n_iter=3, random_state=0, monitor=True).fit(X[:300], X_val=X_test[:50])
    fig = plot_rbm_filters(rbm)
    assert len(fig.axes) == 12
    fig.savefig(tmp_path / "filters.png")
    fig2 = plot_images(rbm.sample(6, 20, random_state=0), title="samples")
    assert len(fig2.axes) == 6
    fig3 = plot_training_curves(rbm.history_)
    assert len(fig3.axes) == 4  # reconstruction error, PL, LL, validation LL
    fig3.savefig(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 0
    with pytest.raises(ValueError, match="shape"):
        plot_images(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="epochs"):
        plot_training_curves({"epoch": []})
    plt.close("all")


def test_completion_figure(tmp_path):
    import matplotlib.pyplot as plt
    from infogen.plotting import plot_completions

    X, X_test, _ = load_digits(binary=True)
    rbm = BernoulliRBM(32, n_iter=5, persistent=False, random_state=0).fit(X)
    top = np.zeros(X_test.shape, dtype=bool)
    top[:, :32] = True
    fig = plot_completions(X_test, top, rbm.complete(X_test, top, random_state=0), n=6)
    assert len(fig.axes) == 18
    fig.savefig(tmp_path / "completions.png")
    assert (tmp_path / "completions.png").stat().st_size > 0
    with pytest.raises(ValueError, match="one shape"):
        plot_completions(X_test, top[:, :10], X_test)
    plt.close("all")
