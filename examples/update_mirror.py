"""Maintainer script: rebuild an example's offline mirror from the recorded Hub data in tests/data/hub.

A thin wrapper of `licscan mirror pull --from-scan EXAMPLE`, reading tests/data/hub instead of the Hub: every
model the example names and all their ancestors are written to the example's mirror directory (emptied first),
with PROVENANCE.md. Run it after changing an example or the recorded data:
  .venv/bin/python examples/update_mirror.py examples/assistant-app
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

from licscan.config import load_config
from licscan.scan import mirror_pull

RECORDED = Path(__file__).resolve().parent.parent / "tests" / "data" / "hub"


def main(example: Path) -> None:
    config = load_config(example, check_mirror=False)
    target = Path(config.mirror or example / "licscan-mirror")
    if target.exists():
        shutil.rmtree(target)
    written, missing = mirror_pull(replace(config, mirror=str(RECORDED)), [], target, from_projects=[example])
    shutil.copy(RECORDED / "PROVENANCE.md", target / "PROVENANCE.md")
    print(f"{target}: {len(written)} repositories" + "".join(f"\n  not recorded: {line}" for line in missing))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
