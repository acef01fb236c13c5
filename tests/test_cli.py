"""The command line and the demo."""
import io
import subprocess
import sys

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
