"""Turn a pytest-benchmark JSON file into the ns/element and ratio table of bench/README.md.

Usage: python bench/report.py bench/results.json
"""
import json
import sys
from collections import defaultdict


def main(path: str) -> None:
    with open(path) as f:
        data = json.load(f)
    table = defaultdict(dict)
    for b in data["benchmarks"]:
        info = b.get("extra_info", {})
        if "elements" not in info:
            continue
        ns = b["stats"]["median"] / info["elements"] * 1e9
        table[b["group"]][info["tool"]] = ns
    tools = ["infogen 2t", "infogen 1t", "scipy", "torch 2t", "pure Python reference"]
    print("| measure, shape, dtype | " + " | ".join(f"{t} ns/elem" for t in tools)
          + " | scipy / infogen | torch / infogen |")
    print("|---" * (len(tools) + 3) + "|")
    for group in sorted(table):
        row = table[group]
        cells = [f"{row[t]:.2f}" if t in row else "-" for t in tools]
        ours = row.get("infogen 2t")
        ratio = lambda t: f"{row[t] / ours:.1f}x" if ours and t in row else "-"  # noqa: E731
        print(f"| {group} | " + " | ".join(cells) + f" | {ratio('scipy')} | {ratio('torch 2t')} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/results.json")
