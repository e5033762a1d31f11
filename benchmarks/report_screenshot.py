"""The README's picture of the HTML report: a real gate run, opened in headless chromium.

Runs the gate (default profile) on a warm adapter as a real pytest run, writing the JSON and
HTML reports, then takes a screenshot of the top of the page with Debian's chromium:

    python benchmarks/report_screenshot.py --adapter .warmth-demo/warm \\
        --out benchmarks/results/demo-warm-report

writes ``OUT.html`` and ``OUT.png`` (the JSON report too with ``--json``; the same run's is
``demo-warm-default.json``). The adapter is the demo's (``tox -e demo`` trains it, or reuses
the cached one in ``.warmth-demo/warm``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", type=Path, default=ROOT / ".warmth-demo" / "warm")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/demo-warm-report")
    parser.add_argument("--height", type=int, default=2200, help="screenshot height in pixels")
    parser.add_argument("--json", action="store_true", help="keep the JSON report as OUT.json")
    args = parser.parse_args()
    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome")
                    if shutil.which(b)), None)  # fmt: skip
    if browser is None:
        print("no chromium on PATH (apt-get install chromium)", file=sys.stderr)
        return 2
    out = args.out.resolve()
    html, png = out.with_suffix(".html"), out.with_suffix(".png")
    scratch = tempfile.TemporaryDirectory()
    report = out.with_suffix(".json") if args.json else Path(scratch.name) / "report.json"
    command = [
        sys.executable, "-m", "pytest", "-m", "warmth", "-p", "no:cacheprovider",
        f"--warmth-model={args.adapter}", f"--warmth-report={report}", f"--warmth-html={html}",
    ]  # fmt: skip
    print(" ".join(command[1:]), flush=True)
    code = subprocess.call(command, cwd=ROOT)
    if code not in (0, 1) or not html.is_file():
        return code or 1
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                f"--user-data-dir={profile}", f"--window-size=1100,{args.height}",
                f"--screenshot={png}", html.as_uri(),
            ],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    print(f"gate exit {code}; wrote {html}, {png}" + (f", {report}" if args.json else ""))
    scratch.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
