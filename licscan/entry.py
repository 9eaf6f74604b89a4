"""The console entry point: the pre-commit paths (`check`, `discover`) without Typer, `scan` with its common options
without Typer's parsing, the rest through cli.py."""

from __future__ import annotations

import gc
import sys

# Typer (and the pydantic it pulls in) costs more start-up time than these commands' own work, and they
# run on every commit; their few options are parsed here. Anything unusual (--help, a typo) goes to Typer,
# which gives the usual help and errors.
_FLAGS = {
    "check": {"--quiet": "quiet", "-q": "quiet"},
    "discover": {"--json": "json", "--no-cache": "no_cache"},
    # `scan` runs cli.py's own command: only Typer's parsing (0.1 s with pydantic) is spared.
    "scan": {"--quiet": "quiet", "-q": "quiet", "--verbose": "verbose", "-v": "verbose", "--refresh": "refresh",
             "--validate": "validate", "--color": "color", "--no-color": "no_color"},
}
_VALUES = {
    "check": {"--lockfile": "lockfile"},
    "discover": {},
    "scan": {"--json": "json_out", "--markdown": "markdown_out", "--html": "html_out", "--sarif": "sarif_out",
             "--junit": "junit_out", "--cyclonedx": "cyclonedx_out", "--spdx": "spdx_out", "--notice": "notice_out",
             "--mirror": "mirror", "--policy": "policy"},
}
_SCAN_PATHS = ("json_out", "markdown_out", "html_out", "sarif_out", "junit_out", "cyclonedx_out", "spdx_out",
               "notice_out", "mirror")


def _parse(command: str, args: list[str]) -> dict | None:
    """The command's options when they are all simple ones; None hands the line to Typer."""
    options: dict = {"positional": []}
    rest = iter(args)
    only_positional = False
    for arg in rest:
        if only_positional or not arg.startswith("-") or arg == "-":
            options["positional"].append(arg)
        elif arg == "--":
            only_positional = True
        elif arg in _FLAGS[command]:
            options[_FLAGS[command][arg]] = True
        elif arg in _VALUES[command]:
            value = next(rest, None)
            if value is None or (command == "scan" and value.startswith("-") and value != "-"):
                return None  # a missing value, or one that reads like an option: Typer says what it makes of it
            options[_VALUES[command][arg]] = value
        elif arg.split("=", 1)[0] in _VALUES[command] and "=" in arg:
            name, value = arg.split("=", 1)
            options[_VALUES[command][name]] = value
        else:
            return None
    if command in ("discover", "scan") and len(options["positional"]) > 1:
        return None
    if options.get("color") and options.get("no_color"):
        return None
    return options


def _scan(options: dict) -> int:
    """`licscan scan` with the options _parse read: cli.py's command itself, called as Typer would call it."""
    from pathlib import Path

    from licscan.cli import run_scan

    chosen = {name: Path(options[name]) if name in options else None for name in _SCAN_PATHS}
    return run_scan(path=Path(options["positional"][0]) if options["positional"] else Path("."),
                    policy=options.get("policy"), rules_dir=[], max_depth=None,
                    quiet=bool(options.get("quiet")), verbose=bool(options.get("verbose")),
                    color=True if options.get("color") else False if options.get("no_color") else None,
                    refresh=bool(options.get("refresh")), validate=bool(options.get("validate")), **chosen)


def _run(command: str, options: dict) -> tuple[str, int]:
    from pathlib import Path

    if command == "check":
        from licscan.lock import run_check

        lockfile = options.get("lockfile")
        return run_check(Path(lockfile) if lockfile else None, options["positional"] or None,
                         quiet=bool(options.get("quiet")))
    from licscan.scan import list_occurrences

    path = Path(options["positional"][0]) if options["positional"] else Path(".")
    text = list_occurrences(path, as_json=bool(options.get("json")), use_cache=not options.get("no_cache"))
    return text.rstrip("\n"), 0


def main(*, fast_exit: bool = True) -> None:
    """The `licscan` command. fast_exit=False always leaves through SystemExit (for callers in Python)."""
    # A scan builds large, long-lived data with no reference cycles (a 2,000-model warm re-scan: millions of
    # frozen records, dicts and strings). At the default thresholds the cycle collector walks all of it again
    # and again, about a quarter of the scan's CPU; collecting after 50,000 allocations instead of 700 still
    # frees any cycles, at a fraction of the cost.
    gc.set_threshold(50_000, 50, 100)
    args = sys.argv[1:]
    command = args[0] if args else ""
    options = _parse(command, args[1:]) if command in _FLAGS else None
    if command == "scan" and options is not None:
        code = _scan(options)
        if fast_exit:
            _leave(code, exit_handlers=True)
        sys.exit(code)
    if options is None:
        from licscan.cli import main as cli_main

        try:
            cli_main()
        except SystemExit as leaving:
            if fast_exit and isinstance(leaving.code, int):  # an exit code (Typer's are an IntEnum), not a message
                _leave(int(leaving.code), exit_handlers=True)
            raise
        return
    # What cli._guarded does for every command, without importing Typer.
    from licscan.errors import LicscanError, detach_stdout, redact

    try:
        text, code = _run(command, options)
    except KeyboardInterrupt:
        print("licscan: interrupted", file=sys.stderr)
        sys.exit(130)
    except LicscanError as exc:
        print(f"licscan: error: {redact(str(exc))}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the last line of defence before a traceback
        print(f"licscan: error: internal error: {exc.__class__.__name__}: {redact(str(exc))} "
              f"(run `licscan --debug {command} ...` for the traceback)", file=sys.stderr)
        sys.exit(3)
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        detach_stdout()  # the reader left early (`| head`): the verdict's exit code still stands
        sys.exit(code)
    if fast_exit:
        _leave(code)
    sys.exit(code)


def _leave(code: int, *, exit_handlers: bool = False) -> None:
    """Exit with `code`. With no exit handler registered (the usual case on these paths), at once: the
    interpreter's teardown frees every object one by one and costs more than checking a few files. With
    exit_handlers, registered handlers (logging's flush, ...) are run first, as the usual exit runs them, and
    the process then leaves at once all the same: after a 2,000-model scan the teardown is a fifth of a
    second. Another thread still running, or a stream that cannot be flushed, leaves the usual way."""
    import atexit
    import threading

    pending = getattr(atexit, "_ncallbacks", None)  # CPython's count; elsewhere, the usual exit
    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    try:
        sys.stderr.flush()
        if exit_handlers:
            sys.stdout.flush()
    except (OSError, ValueError):
        pending = None  # let the usual exit deal with the stream
    if pending is not None and pending() and exit_handlers and run_handlers is not None \
            and threading.active_count() == 1:
        run_handlers()  # they are then unregistered: the usual exit, if it follows, does not run them twice
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pending = None
    if pending is not None and pending() == 0 and (not exit_handlers or threading.active_count() == 1):
        import os

        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    main()
