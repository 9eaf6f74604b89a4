"""Maintainer script: rebuild an example's offline mirror from the recorded Hub data in tests/data/hub.

It scans the example with tests/data/hub as the mirror and copies the folder of every repository the scan
read (each node, and each renamed id it followed) into the example's mirror directory. Run it after
changing an example or the recorded data:  .venv/bin/python examples/update_mirror.py examples/assistant-app
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

from licscan.config import load_config
from licscan.scan import scan

RECORDED = Path(__file__).resolve().parent.parent / "tests" / "data" / "hub"


def main(example: Path) -> None:
    config = load_config(example)
    target = Path(config.mirror or example / "licscan-mirror")
    result = scan(replace(config, mirror=str(RECORDED), db_url=None))
    wanted = set()
    for report in result.models:
        for node in report.lineage.nodes:
            if node.source != "local":
                wanted.add(node.repo_id)
                wanted.update(node.aliases)
    if target.exists():
        shutil.rmtree(target)
    for repo_id in sorted(wanted):
        shutil.copytree(RECORDED / repo_id, target / repo_id)
    shutil.copy(RECORDED / "PROVENANCE.md", target / "PROVENANCE.md")
    print(f"{target}: {len(wanted)} repositories")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
