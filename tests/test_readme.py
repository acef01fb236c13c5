"""The README's tour runs as written."""
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has a Python tour"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})


def test_readme_has_exactly_the_two_setup_commands():
    text = README.read_text()
    assert "    pip install . && infogen demo\n" in text
    assert '    pip install ".[test]" && pytest\n' in text


def test_ci_runs_the_readme_test_command():
    ci = (README.parent / ".ci" / "run").read_text()
    assert '\npip install ".[test]" && pytest\n' in ci
