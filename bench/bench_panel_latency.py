"""Save-to-panel latency: how long after a save the Ilum panel shows it, in Chromium on a real
JupyterLab with the panel's default poll interval (10 s).

Both paths run in the same lab, interleaved, on the same file:

- *before*: the file is written past the lab (as every save was seen before the panel listened
  to the contents manager): only the poll brings it to the panel;
- *after*: the file is saved through JupyterLab's contents manager, whose ``fileChanged`` signal
  makes the panel read ``GET status?fresh=1`` at once.

jupyterlab-git is disabled in this lab: its own status poll would otherwise also refresh the
panel and blur the baseline. Prints; asserts nothing.

    python bench/bench_panel_latency.py [--rounds 8]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS, GitWorkspace, running_lab  # noqa: E402

PANEL = "#ilum-singleuser-panel"
MODIFIED = f'{PANEL} [data-ilum="count-modified"]'
POLL_SECONDS = 10
ORIGINAL = "print('analysis')\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="ilum-bench-") as tmp:
        root = Path(tmp)
        workspace = GitWorkspace(root)
        workspace.path.mkdir()
        workspace.git("init", "-q", "-b", "main")
        workspace.commit("analysis.py", ORIGINAL, "Add analysis")
        ilum_env = {
            "ILUM_USER": "bench",
            "ILUM_WORKSPACE": str(workspace.path),
            "ILUM_LIVY_URL": "http://127.0.0.1:9",
            "ILUM_STATE_DIR": str(root / "state"),
        }
        samples: dict[str, list[float]] = {"before": [], "after": []}
        pause = random.Random(10)
        with (
            running_lab(
                root,
                workspace.path,
                ilum_env,
                poll_interval=POLL_SECONDS,
                disabled_extensions=("@jupyterlab/git",),
            ) as lab,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(lab.lab_url())
            page.wait_for_function(
                "() => window.jupyterapp?.commands.hasCommand('ilum:open-panel')", timeout=60_000
            )
            page.evaluate(
                "async () => { await window.jupyterapp.restored;"
                " await window.jupyterapp.commands.execute('ilum:open-panel'); }"
            )
            page.wait_for_selector(f"{MODIFIED}:text-is('0')", timeout=60_000)
            assert not page.evaluate("() => window.jupyterapp.hasPlugin('@jupyterlab/git:plugin')")
            for i in range(args.rounds * 2):
                # Every round flips the file between changed and committed, so the panel must
                # show something new; the ways alternate so that each does both.
                way = "after" if (i // 2 + i) % 2 else "before"
                changed = i % 2 == 0
                # A refresh the previous round started must not serve this one, and a save comes
                # at any point of the poll's period, not just after a tick.
                time.sleep(1.0 + pause.uniform(0, POLL_SECONDS))
                text = f"print('analysis {i}')\n" if changed else ORIGINAL
                expected = "1" if changed else "0"
                started = time.perf_counter()
                if way == "before":
                    (workspace.path / "analysis.py").write_text(text)
                else:
                    page.evaluate(
                        "text => window.jupyterapp.serviceManager.contents.save("
                        "'analysis.py', {type: 'file', format: 'text', content: text})",
                        text,
                    )
                page.wait_for_function(
                    "([selector, expected]) => "
                    "document.querySelector(selector)?.textContent === expected",
                    arg=[MODIFIED, expected],
                    polling="raf",
                    timeout=(POLL_SECONDS + 20) * 1000,
                )
                samples[way].append((time.perf_counter() - started) * 1000)
            browser.close()

    print(
        f"save-to-panel latency, Chromium + JupyterLab, poll interval {POLL_SECONDS} s, "
        f"{args.rounds} saves each way (interleaved)"
    )
    for way, label in (
        ("before", "poll only (written past the lab)"),
        ("after", "refresh on save"),
    ):
        values = samples[way]
        print(
            f"{way:<6} {label:<34} p50 {statistics.median(values):8.0f} ms   "
            f"min {min(values):8.0f} ms   max {max(values):8.0f} ms"
        )
    ratio = statistics.median(samples["after"]) / statistics.median(samples["before"])
    print(
        f"median after / before: {ratio:.3f} "
        f"(target: within 1 s instead of ~{POLL_SECONDS / 2:g} s)"
    )


if __name__ == "__main__":
    main()
