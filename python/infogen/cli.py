"""The ``infogen`` command line: ``infogen demo``, ``infogen config`` and topic commands.

Topics add subcommands through ``COMMANDS``: a function ``register(subparsers)`` that adds
a parser and sets ``func`` (called with the parsed arguments, returning an exit code).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence


def _demo(args: argparse.Namespace) -> int:
    from infogen import demo

    demo.run(args.section or None, quick=args.quick)
    return 0


def _config(args: argparse.Namespace) -> int:
    import infogen

    infogen.show_config()
    return 0


def _register_core(sub: argparse._SubParsersAction) -> None:
    from infogen import demo

    p = sub.add_parser("demo", help="run the main demo on embedded data")
    p.add_argument("--section", action="append", choices=list(demo.SECTIONS),
                   help="run only this section (repeatable)")
    p.add_argument("--quick", action="store_true", help="smaller sizes, for a fast smoke run")
    p.set_defaults(func=_demo)
    c = sub.add_parser("config", help="show how infogen was built (OpenMP, SIMD, threads)")
    c.set_defaults(func=_config)


def _register_ngram(sub: argparse._SubParsersAction) -> None:
    from infogen.ngram.cli import register

    register(sub)


def _register_rbm(sub: argparse._SubParsersAction) -> None:
    from infogen.rbm import register_cli

    register_cli(sub)


def _register_vae(sub: argparse._SubParsersAction) -> None:
    from infogen.vae_demo import register

    register(sub)


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _register_core, _register_ngram, _register_rbm, _register_vae,
]


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered subcommand."""
    import infogen

    parser = argparse.ArgumentParser(prog="infogen", description="Information measures and generative models.")
    parser.add_argument("--version", action="version", version=f"infogen {infogen.__version__}")
    parser.add_argument("--threads", type=int, default=None, help="threads for the C++ kernels (default: all)")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``infogen`` console script."""
    import infogen

    args = build_parser().parse_args(argv)
    if args.threads is not None:
        infogen.set_num_threads(args.threads)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError, OSError) as exc:
        print(f"infogen: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("infogen: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
