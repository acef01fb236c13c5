"""`import infogen` and the n-gram command line stay light (issue 18 item 7, issue 22 item 17)."""
import os
import subprocess
import sys

import pytest

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))


def modules_after(code):
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, env=ENV, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("code", [
    "import infogen; infogen.entropy([0.5, 0.5])",
    "import infogen.cli as c, contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()):\n"
    "    try: c.main(['ngram', 'score', '--help'])\n    except SystemExit: pass",
    "from infogen import NGramLM; NGramLM(2).fit(['a b']).score('a b')",
])
def test_light_paths_do_not_import_scikit_learn(code):
    mods = modules_after(code)
    assert "sklearn" not in mods and "scipy" not in mods and "matplotlib" not in mods


def test_model_families_load_on_first_use():
    mods = modules_after("import infogen; infogen.BernoulliRBM; infogen.VAE; infogen.NoveltyDetector")
    assert {"infogen.rbm", "infogen.vae", "infogen.novelty"} <= mods
    import infogen

    assert {"NGramLM", "BernoulliRBM", "VAE", "NoveltyDetector"} <= set(dir(infogen))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        infogen.Nope  # noqa: B018


def test_cli_version_is_answered_without_the_families():
    out = subprocess.run([sys.executable, "-m", "infogen", "--version"], capture_output=True, text=True, env=ENV,
                         check=True)
    assert out.stdout.startswith("infogen ")
    mods = modules_after("import infogen.cli as c\ntry: c.main(['--version'])\nexcept SystemExit: pass")
    assert "infogen.ngram" not in mods and "sklearn" not in mods


def test_demo_sections_listed_by_the_cli_are_the_demos():
    from infogen import cli, demo

    parser = cli.build_parser(["demo"])
    action = next(a for a in parser._subparsers._group_actions[0].choices["demo"]._actions
                  if a.dest == "section")
    assert list(action.choices) == list(demo.SECTIONS)
