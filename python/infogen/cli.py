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
    p = sub.add_parser("demo", help="run the main demo on embedded data")
    p.add_argument("--section", action="append", choices=["info", "ngram", "rbm", "vae", "ae"],
                   help="run only this section (repeatable)")
    p.add_argument("--quick", action="store_true", help="smaller sizes, for a fast smoke run")
    p.set_defaults(func=_demo)
    c = sub.add_parser("config", help="show how infogen was built (OpenMP, SIMD, threads)")
    c.set_defaults(func=_config)


def _register_ngram(sub: argparse._SubParsersAction) -> None:
    from infogen.ngram.cli import register

    register(sub)


def _register_rbm(sub: argparse._SubParsersAction) -> None:
    from infogen.rbm.cli import register

    register(sub)


def _register_vae(sub: argparse._SubParsersAction) -> None:
    from infogen.vae.cli import register

    register(sub)


def _register_ae(sub: argparse._SubParsersAction) -> None:
    from infogen.ae.cli import register

    register(sub)


#: command name -> its registration (each imports its family only when registered, so
#: ``infogen ngram score`` never imports scikit-learn or the RBM/VAE code)
COMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "demo": _register_core, "config": _register_core, "ngram": _register_ngram, "rbm": _register_rbm,
    "vae": _register_vae, "ae": _register_ae,
}


def threading_is_main() -> bool:
    """Signal handlers can only be set from the main thread (not when main() is called from another)."""
    import threading

    return threading.current_thread() is threading.main_thread()


def _command_of(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` names (skipping ``--threads N``), or None."""
    it = iter(argv)
    for tok in it:
        if tok == "--threads":
            next(it, None)
        elif not tok.startswith("-"):
            return tok
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Build the argument parser: with `argv`, only its subcommand's family is registered
    (and imported); without, or for ``--help``, every family.
    """
    from infogen import _core

    parser = argparse.ArgumentParser(prog="infogen", description="Information measures and generative models.")
    parser.add_argument("--version", action="version", version=f"infogen {_core.__version__}")
    parser.add_argument("--threads", type=int, default=None, help="threads for the C++ kernels (default: all)")
    sub = parser.add_subparsers(dest="command", required=True)
    command = _command_of(argv) if argv is not None else None
    if command in COMMANDS:
        registers = [COMMANDS[command]]
    elif command is None and argv is not None and "--version" in argv:
        registers = []
    else:
        registers = list(dict.fromkeys(COMMANDS.values()))
    for register in registers:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``infogen`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    import signal

    def _terminate(signum: int, frame: object) -> None:  # SIGTERM unwinds like Ctrl-C: no partial files
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate) if threading_is_main() else None
    try:
        return _run(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _run(argv: list[str]) -> int:
    try:
        args = build_parser(argv).parse_args(argv)
        if args.threads is not None:
            from infogen._config import set_num_threads

            if args.threads < 1:
                raise ValueError(f"--threads must be a positive int, got {args.threads}")
            set_num_threads(args.threads)
        return int(args.func(args) or 0)
    except BrokenPipeError:  # the reader went away (`infogen ... | head`): stop quietly, as Unix tools do
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except (ValueError, TypeError, FileNotFoundError, OSError, EOFError) as exc:
        print(f"infogen: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("infogen: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("infogen: error: out of memory", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
