"""The console entry point: `licscan check` on a lean path (no Typer) for pre-commit, the rest through cli.py."""

from __future__ import annotations

import sys


def _check_args(args: list[str]) -> dict | None:
    """The options of `licscan check` when they are all simple ones; None hands the line to Typer (help, errors)."""
    files: list[str] = []
    options: dict = {"lockfile": None, "quiet": False}
    rest = iter(args)
    only_files = False
    for arg in rest:
        if only_files or not arg.startswith("-") or arg == "-":
            files.append(arg)
        elif arg == "--":
            only_files = True
        elif arg in ("--quiet", "-q"):
            options["quiet"] = True
        elif arg == "--lockfile":
            value = next(rest, None)
            if value is None:
                return None
            options["lockfile"] = value
        elif arg.startswith("--lockfile="):
            options["lockfile"] = arg.split("=", 1)[1]
        else:
            return None
    options["files"] = files or None
    return options


def main() -> None:
    args = sys.argv[1:]
    options = _check_args(args[1:]) if args[:1] == ["check"] else None
    if options is None:
        from licscan.cli import main as cli_main

        cli_main()
        return
    # What cli._guarded does for every command, without importing Typer (a third of check's start-up time).
    from pathlib import Path

    from licscan.errors import LicscanError, redact

    try:
        from licscan.lock import run_check

        text, code = run_check(Path(options["lockfile"]) if options["lockfile"] else None, options["files"],
                               quiet=options["quiet"])
    except KeyboardInterrupt:
        print("licscan: interrupted", file=sys.stderr)
        sys.exit(130)
    except LicscanError as exc:
        print(f"licscan: error: {redact(str(exc))}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the last line of defence before a traceback
        print(f"licscan: error: internal error: {exc.__class__.__name__}: {redact(str(exc))} "
              "(run `licscan --debug check ...` for the traceback)", file=sys.stderr)
        sys.exit(3)
    print(text)
    sys.exit(code)


if __name__ == "__main__":
    main()
