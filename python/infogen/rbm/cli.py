"""``infogen rbm train|score``: RBMs from the command line."""
from __future__ import annotations

from typing import Any

from infogen._cli_data import load_npy
from infogen.rbm.model import BernoulliRBM

__all__ = ["register"]


def _cli_train(args: Any) -> int:
    from infogen.datasets import load_digits

    if args.data:
        X = load_npy(args.data)
        X_val = None
    else:
        X, X_val, _ = load_digits(binary=True)
    rbm = BernoulliRBM(args.hidden, n_iter=args.epochs, batch_size=args.batch_size,
                       learning_rate=args.learning_rate, k=args.k, persistent=not args.cd,
                       random_state=args.seed, monitor=True, verbose=True)
    rbm.fit(X, X_val=X_val)
    if args.out:
        rbm.save(args.out)
        print(f"saved to {args.out}")
    return 0


def _cli_score(args: Any) -> int:
    from infogen.datasets import load_digits

    rbm = BernoulliRBM.load(args.model)
    X = load_npy(args.data) if args.data else load_digits(binary=True)[1]
    ll = rbm.log_likelihood(X, method=args.method)
    print(f"mean log-likelihood ({args.method}): {ll.mean():.4f} nats over {len(ll)} rows")
    print(f"mean pseudo-log-likelihood: {rbm.pseudo_likelihood(X).mean():.4f} nats")
    return 0


def register(sub: Any) -> None:
    """Add ``infogen rbm train`` and ``infogen rbm score`` to the command line."""
    p = sub.add_parser("rbm", help="train or score a Bernoulli RBM (default data: binarised digits)")
    rsub = p.add_subparsers(dest="rbm_command", required=True)
    t = rsub.add_parser("train", help="train on a binary .npy matrix (default: digits rows 0-1499)")
    t.add_argument("--data", help="binary .npy file of shape (n_samples, n_features)")
    t.add_argument("--hidden", type=int, default=16)
    t.add_argument("--epochs", type=int, default=50)
    t.add_argument("--batch-size", type=int, default=20)
    t.add_argument("--learning-rate", type=float, default=0.05)
    t.add_argument("-k", type=int, default=1, help="Gibbs steps per update")
    t.add_argument("--cd", action="store_true", help="CD-k instead of persistent CD")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", help="save the model here (.npz)")
    t.set_defaults(func=_cli_train)
    s = rsub.add_parser("score", help="log-likelihood of a saved model (default data: digits rows 1500-1796)")
    s.add_argument("model", help="a model saved by `infogen rbm train --out`")
    s.add_argument("--data", help="binary .npy file")
    s.add_argument("--method", choices=["exact", "ais", "auto"], default="auto")
    s.set_defaults(func=_cli_score)
