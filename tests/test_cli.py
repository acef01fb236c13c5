"""The command line and the demo."""
import io
import subprocess
import sys

import numpy as np
from infogen import cli, demo


def test_demo_info_section_prints_lecture_examples():
    out = io.StringIO()
    demo.run(["info"], quick=True, out=out)
    text = out.getvalue()
    assert "KL(Q||P) = inf" in text
    assert "0.4690 bits" in text  # entropy of the bridge P
    assert "(1/N) log-likelihood ratio" in text


def test_cli_config_and_errors(capsys):
    assert cli.main(["config"]) == 0
    assert "openmp" in capsys.readouterr().out
    assert cli.main(["demo", "--section", "info", "--quick"]) == 0


def test_console_script_runs_as_module():
    r = subprocess.run([sys.executable, "-m", "infogen", "--version"], capture_output=True, text=True, check=True)
    assert r.stdout.startswith("infogen ")


def test_model_commands_check_their_data(tmp_path, capsys):
    # issue 22 items 7 and 13: --test-fraction outside (0, 1) and a file that is not a .npy array
    from infogen import cli

    good = tmp_path / "x.npy"
    np.save(good, np.random.default_rng(0).random((20, 8)))
    bad = tmp_path / "bad.npy"
    bad.write_text("not an array")
    for command in ("vae", "ae"):
        for argv, match in (([ "--data", str(good), "--test-fraction", "0"], "must be in (0, 1)"),
                            (["--data", str(good), "--test-fraction", "1.5"], "must be in (0, 1)"),
                            (["--data", str(bad)], "not a .npy array file")):
            assert cli.main([command, *argv, "--epochs", "1"]) == 2
            assert match in capsys.readouterr().err
