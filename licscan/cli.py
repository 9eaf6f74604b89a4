"""The command line: options in, one call, exit code out. Exit codes and error messages live here only."""

from __future__ import annotations

import contextlib
import datetime
import enum
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Optional

import typer

from licscan.errors import LicscanError, detach_stdout, redact

# Typer prints an argument's Python type after its metavar in --help ("[FILE]... <list[Path]>"); for options a
# metavar replaces the type, for arguments nothing does. A reader wants the metavar only, so an argument that
# has one shows it alone, as an option does.
_argument_type_label = typer.core.TyperArgument.display_type_rich
typer.core.TyperArgument.display_type_rich = (  # type: ignore[method-assign]
    lambda self, ctx: None if self.metavar is not None else _argument_type_label(self, ctx)
)


class ExitCode(enum.IntEnum):
    PASS = 0
    POLICY_VIOLATION = 1
    USAGE = 2
    INCOMPLETE = 3  # network, rate limit, unresolved under a fail-closed policy, internal error
    INTERRUPTED = 130


app = typer.Typer(
    name="licscan",
    help="Audit the licences and origins of the AI models a project uses, through their whole base_model ancestry.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
rules_app = typer.Typer(help="Maintain rule files.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

_state = {"debug": False}
# The last scan's result, kept until the process leaves: `licscan` leaves at once (entry.main), and freeing a
# 2,000-model scan's millions of objects one by one first cost a tenth of a second. One result at most.
_held_until_exit: list[Any] = []
STDOUT = "-"  # a report path that means standard output


def _fail(message: str, code: ExitCode) -> None:
    typer.echo(f"licscan: error: {redact(message)}", err=True)
    raise typer.Exit(int(code))


def _guarded(action: Callable[[], int]) -> None:
    """Run a command; map every error to a message and an exit code (tracebacks only with --debug)."""
    try:
        code = action()
    except typer.Exit:
        raise
    except BrokenPipeError:
        # The reader of the output left before the end (`| head`): the command's answer was not all written,
        # so the run counts as not completed (a gate must not take a cut-off report for a pass).
        detach_stdout()
        typer.echo("licscan: the output was closed before it was complete", err=True)
        raise typer.Exit(int(ExitCode.INCOMPLETE)) from None
    except KeyboardInterrupt:
        typer.echo("licscan: interrupted", err=True)
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except LicscanError as exc:
        if _state["debug"]:
            traceback.print_exc()
        _fail(str(exc), ExitCode(exc.exit_code))
    except Exception as exc:  # noqa: BLE001 - the last line of defence before a traceback
        if _state["debug"]:
            traceback.print_exc()
        _fail(f"internal error: {exc.__class__.__name__}: {exc} (run with --debug for the traceback)",
              ExitCode.INCOMPLETE)
    else:
        raise typer.Exit(code)


def _clock() -> Callable[[], datetime.datetime]:
    """The report clock: SOURCE_DATE_EPOCH when set, so that builds are reproducible."""
    from licscan.config import source_date_epoch
    from licscan.errors import ConfigError

    try:
        fixed = source_date_epoch(os.environ.get("SOURCE_DATE_EPOCH"))
    except ConfigError as exc:
        _fail(str(exc), ExitCode.USAGE)
    if fixed is not None:
        return lambda: fixed
    return lambda: datetime.datetime.now(datetime.timezone.utc)


def _width(stream: Any) -> int | None:
    """The terminal's width when the summary goes to one (COLUMNS wins, as for any terminal program); None
    (the summary's default) for a file, a pipe or CI logs."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if stream.isatty():
        import shutil

        return shutil.get_terminal_size().columns
    return None


@contextlib.contextmanager
def _progress(quiet: bool):
    """A progress display on standard error while a scan runs: only on a terminal, never in CI logs or a pipe."""
    if quiet or not sys.stderr.isatty() or os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        yield None
        return
    from licscan.reporting.terminal import ScanProgress

    with ScanProgress() as display:
        yield display


def _color(choice: Optional[bool], stream: Any = None) -> bool:
    """--color/--no-color, else colour when the stream the text goes to is a terminal and NO_COLOR is unset."""
    if choice is not None:
        return choice
    return (stream or sys.stdout).isatty() and not os.environ.get("NO_COLOR")


def _print_version(value: bool) -> None:
    if value:
        from licscan import __version__

        typer.echo(f"licscan {__version__}")
        raise typer.Exit(int(ExitCode.PASS))


@app.callback()
def main_options(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print licscan's version and exit."),
) -> None:
    _state["debug"] = debug


@app.command()
def scan(
    path: Path = typer.Argument(Path("."), help="The project to scan."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the JSON report here ('-': standard output, the summary then goes to standard error)."),
    markdown_out: Optional[Path] = typer.Option(None, "--markdown", help="Write a Markdown summary here ('-': standard output)."),
    html_out: Optional[Path] = typer.Option(None, "--html", help="Write the HTML audit report here ('-': standard output)."),
    sarif_out: Optional[Path] = typer.Option(None, "--sarif", help="Write SARIF 2.1.0 here ('-': standard output)."),
    junit_out: Optional[Path] = typer.Option(None, "--junit", help="Write JUnit XML here ('-': standard output)."),
    cyclonedx_out: Optional[Path] = typer.Option(None, "--cyclonedx", help="Write a CycloneDX 1.6 SBOM here ('-': standard output)."),
    spdx_out: Optional[Path] = typer.Option(None, "--spdx", help="Write an SPDX 2.3 SBOM (JSON) here ('-': standard output)."),
    notice_out: Optional[Path] = typer.Option(None, "--notice", help="Write the attribution file (THIRD-PARTY-MODELS.md) here ('-': standard output)."),
    mirror: Optional[Path] = typer.Option(None, "--mirror", help="Resolve from this offline mirror directory."),
    policy: Optional[str] = typer.Option(None, "--policy", help="Policy name (rules/policies) or a policy file."),
    rules_dir: list[Path] = typer.Option([], "--rules-dir", metavar="DIR",
                                         help="Extra rules directory (overrides shipped rules); repeatable."),
    max_depth: Optional[int] = typer.Option(None, "--max-depth", min=1, help="Ancestry depth limit."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print one line per model (decision, failing rules) and the verdict."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also print ancestry trees, judged terms, notes and obligations."),
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help="Colour (default: when a terminal)."),
    refresh: bool = typer.Option(False, "--refresh", help="Ask the Hub now, whatever the freshness window says."),
    validate: bool = typer.Option(False, "--validate", help="Also check each SBOM written (--cyclonedx, --spdx) with its library's validator (slow on large projects)."),
) -> None:
    """Find the models a project uses, resolve their ancestry, evaluate licences and origins."""

    def run() -> int:
        from licscan.config import data_dir, load_config
        from licscan.reporting import VALIDATORS, get_format, report_parts, validate_document
        from licscan.reporting.terminal import render, render_quiet, render_verdict
        from licscan.scan import scan as run_scan
        from licscan.scan import write_output

        outputs = {"json": json_out, "markdown": markdown_out, "html": html_out, "sarif": sarif_out, "junit": junit_out,
                   "cyclonedx": cyclonedx_out, "spdx": spdx_out, "notice": notice_out}
        piped = [f"--{fmt}" for fmt, target in outputs.items() if target is not None and str(target) == STDOUT]
        if len(piped) > 1:
            _fail(f"only one report can go to standard output ('-'), not {' and '.join(piped)}", ExitCode.USAGE)
        config = load_config(
            path, mirror=mirror, policy=policy, max_depth=max_depth, refresh=refresh or None,
            rules_dirs=tuple(str(item) for item in rules_dir) or None,
        )
        with _progress(quiet) as progress:
            result = run_scan(config, clock=_clock(), project_label=str(path), progress=progress)
        report_on_stdout = None
        invalid = []
        for fmt, target in outputs.items():
            if target is None:
                continue
            writer = get_format(fmt, data_dir("reports"))
            if str(target) != STDOUT and not (validate and fmt in VALIDATORS):
                write_output(target, report_parts(writer, result))  # streamed where the format can
                continue
            body = writer.render(result)
            if validate:
                invalid += [f"--{fmt}: {problem}" for problem in validate_document(fmt, body)[:5]]
            if str(target) == STDOUT:
                report_on_stdout = body
            else:
                write_output(target, body)
        if invalid:  # a document licscan wrote that its format's library refuses: licscan's defect, not the user's
            _fail("the written SBOM does not validate: " + "; ".join(invalid), ExitCode.INCOMPLETE)
        shown_json = None if json_out is None else ("the JSON report" if str(json_out) == STDOUT else str(json_out))
        if report_on_stdout is None:
            colored = _color(color, stream=sys.stdout)
            if quiet:
                typer.echo(render_quiet(result, color=colored, json_report=shown_json).rstrip())
            else:
                typer.echo(render(result, color=colored, width=_width(sys.stdout), verbose=verbose,
                                  json_report=shown_json).rstrip())
        else:
            # The report owns standard output (`--json - | jq ...`): no summary is drawn, only the verdict line
            # goes to standard error.
            typer.echo(render_verdict(result, color=_color(color, stream=sys.stderr), json_report=shown_json).rstrip(),
                       err=True)
            typer.echo(report_on_stdout, nl=not report_on_stdout.endswith("\n"))
        _held_until_exit[:] = [result]
        return _verdict_code(result.verdict.value)

    _guarded(run)


def run_scan(**options: Any) -> int:
    """The scan command called with every option given, without Typer's parsing (entry.py's lean path): the
    same output, and the exit code Typer would exit with."""
    try:
        scan(**options)
    except typer.Exit as leaving:
        return int(leaving.exit_code)
    except KeyboardInterrupt:
        typer.echo("licscan: interrupted", err=True)
        return int(ExitCode.INTERRUPTED)
    # scan always ends by typer.Exit with its verdict's code: ending without one, no verdict was given, and a
    # gate must not read that as a pass.
    return int(ExitCode.INCOMPLETE)


def _verdict_code(verdict: str) -> int:
    return {"pass": ExitCode.PASS, "fail": ExitCode.POLICY_VIOLATION, "incomplete": ExitCode.INCOMPLETE}[verdict]


@app.command()
def tree(
    model: str = typer.Argument(..., help="A Hub model id, e.g. meta-llama/Llama-3.1-8B-Instruct."),
    mirror: Optional[Path] = typer.Option(None, "--mirror", help="Resolve from this offline mirror directory."),
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help="Colour (default: when a terminal)."),
    refresh: bool = typer.Option(False, "--refresh", help="Ask the Hub now, whatever the freshness window says."),
) -> None:
    """Print one model's ancestry with each node's licence and origin."""

    def run() -> int:
        from licscan.cards import is_repo_id
        from licscan.config import load_config
        from licscan.reporting.terminal import render
        from licscan.scan import scan_models

        if not is_repo_id(model):
            _fail(f"{model!r} is not a Hub model id (namespace/name)", ExitCode.USAGE)
        config = load_config(Path("."), mirror=mirror, refresh=refresh or None)
        result = scan_models(config, [model], clock=_clock())
        typer.echo(render(result, color=_color(color), width=_width(sys.stdout), verbose=True))
        return _verdict_code(result.verdict.value)

    _guarded(run)


@app.command()
def explain(
    name: str = typer.Argument(..., help="A rule (LS120, non-commercial), a licence (llama3.1, qwen-research), "
                                         "a Hub namespace (zai-org) or a model with rules lineage."),
    rules_dir: list[Path] = typer.Option([], "--rules-dir", metavar="DIR",
                                         help="Extra rules directory (overrides shipped rules); repeatable."),
) -> None:
    """Explain a rule, a licence or a publisher in plain words, with sources and confidence per fact."""

    def run() -> int:
        from licscan.catalog import help_uri, rule
        from licscan.config import data_dir
        from licscan.evaluation.explain import explain as explain_knowledge
        from licscan.evaluation.knowledge import load_knowledge

        try:
            entry = rule(name)
        except KeyError:
            entry = None
        if entry is not None:
            typer.echo(
                f"{entry.id} {entry.name} ({entry.kind.value}, severity {entry.severity.value})\n"
                f"{entry.title}\n\nWhy: {entry.rationale}\n\nWhat to do: {entry.help}\n\nMore: {help_uri(entry.id)}"
            )
            return ExitCode.PASS
        knowledge = load_knowledge([data_dir("rules"), *rules_dir])
        text = explain_knowledge(name, knowledge)
        if text is None:
            _fail(f"no rule, licence or publisher called {name!r}", ExitCode.USAGE)
        typer.echo(text.rstrip("\n") + "\n")
        return ExitCode.PASS

    _guarded(run)


@rules_app.command("validate")
def rules_validate(
    directory: list[Path] = typer.Argument(None, metavar="[DIR|POLICY.yaml]...",
                                           help="Rules directories, or policy files of a project (default: the "
                                                "shipped rules)."),
) -> None:
    """Check rule files: schema, unknown keys, sources and dates; every error names its file and key."""

    def run() -> int:
        from licscan.config import data_dir
        from licscan.evaluation import validate, validate_policy_files

        given = list(directory or [])
        policy_files = [str(item) for item in given if item.suffix in (".yaml", ".yml") and not item.is_dir()]
        dirs = tuple(str(item) for item in given if str(item) not in policy_files)
        if not dirs:
            dirs = (str(data_dir("rules")),) if not policy_files else ()
        shipped = str(data_dir("rules"))
        beneath = () if dirs == (shipped,) else (shipped,)
        # A scan reads other directories over the shipped rules: their policies may extend default or strict.
        knowledge, errors = validate(dirs, beneath=beneath) if dirs else (None, [])
        if not errors and policy_files:
            errors = validate_policy_files(policy_files, [*beneath, *dirs])
        for error in errors:
            typer.echo(f"licscan: error: {error}", err=True)
        checked = ", ".join([*dirs, *policy_files])
        if errors:
            typer.echo(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in {checked}", err=True)
            return ExitCode.USAGE
        counts = []
        if knowledge is not None:
            edges = sum(len(facts) for facts in knowledge.lineage.values())
            counts = [(len(knowledge.licenses), "licence", "licences"),
                      (len(knowledge.origins), "publisher namespace", "publisher namespaces"),
                      (edges, "lineage edge", "lineage edges"),
                      (len(knowledge.releases), "unconfirmed release", "unconfirmed releases"),
                      (len(knowledge.providers.providers), "model provider", "model providers"),
                      (len(knowledge.providers.runtime_tags), "runtime tag", "runtime tags")]
        policies = (len(knowledge.policies) if knowledge is not None else 0) + len(policy_files)
        counts.append((policies, "policy", "policies"))
        typer.echo("ok: " + ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts) + f" in {checked}")
        return ExitCode.PASS

    _guarded(run)


@rules_app.command("stats")
def rules_stats(
    rules_dir: list[Path] = typer.Option([], "--rules-dir", metavar="DIR",
                                         help="Extra rules directory (overrides shipped rules); repeatable."),
) -> None:
    """Per licence and publisher: how many facts rest on a primary source, a secondary one, or none."""

    def run() -> int:
        from licscan.config import data_dir
        from licscan.evaluation.knowledge import load_knowledge
        from licscan.evaluation.stats import render_stats

        typer.echo(render_stats(load_knowledge([data_dir("rules"), *rules_dir])), nl=False)
        return ExitCode.PASS

    _guarded(run)


db_app = typer.Typer(help="The metadata cache and scan history (SQLite by default, LICSCAN_DB_URL for PostgreSQL).",
                     no_args_is_help=True)
app.add_typer(db_app, name="db")
mirror_app = typer.Typer(help="Offline mirrors of recorded Hub metadata.", no_args_is_help=True)
app.add_typer(mirror_app, name="mirror")


@app.command()
def notice(
    path: Path = typer.Argument(Path("."), help="The project whose models the product ships."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Where to write (default: standard output)."),
    mirror: Optional[Path] = typer.Option(None, "--mirror", help="Resolve from this offline mirror directory."),
    refresh: bool = typer.Option(False, "--refresh", help="Ask the Hub now, whatever the freshness window says."),
) -> None:
    """Write the attribution file a product ships: per model, its licences and their required notices."""

    def run() -> int:
        from licscan.config import load_config
        from licscan.reporting.notice import render_notice
        from licscan.scan import scan as run_scan
        from licscan.scan import write_output

        config = load_config(path, mirror=mirror, refresh=refresh or None)
        result = run_scan(config, clock=_clock(), project_label=str(path))
        text = render_notice(result)
        if output is None or str(output) == STDOUT:
            typer.echo(text, nl=False)
        else:
            write_output(output, text)
        # A model that could not be read may require a notice the file lacks: not complete.
        return ExitCode.INCOMPLETE if result.verdict.value == "incomplete" else ExitCode.PASS

    _guarded(run)


@app.command()
def lock(
    path: Path = typer.Argument(Path("."), help="The project to lock."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Where to write (default PATH/licscan.lock)."),
    mirror: Optional[Path] = typer.Option(None, "--mirror", help="Resolve from this offline mirror directory."),
    policy: Optional[str] = typer.Option(None, "--policy", help="Policy name (rules/policies) or a policy file."),
    refresh: bool = typer.Option(False, "--refresh", help="Ask the Hub now, whatever the freshness window says."),
) -> None:
    """Write licscan.lock: every model's pinned lineage, licences, origins and verdicts."""

    def run() -> int:
        from licscan.config import load_config
        from licscan.lock import lock as write_lock

        config = load_config(path, mirror=mirror, policy=policy, refresh=refresh or None)
        outcome = write_lock(config, output=output, clock=_clock())
        typer.echo(f"wrote {outcome.path}: {outcome.models} model{'s' if outcome.models != 1 else ''}, "
                   f"{outcome.nodes} lineage node{'s' if outcome.nodes != 1 else ''}, verdict {outcome.verdict.upper()}")
        return _verdict_code(outcome.verdict)  # the lockfile is written either way; the gate stops as scan's

    _guarded(run)


@app.command()
def waive(
    rule_id: str = typer.Argument(..., metavar="RULE", help="The rule id (LS120) or finding kind to waive."),
    model: str = typer.Argument(..., help="The model id or pattern it is waived for (praxis/*)."),
    reason: str = typer.Option(..., "--reason", help="Why the exception is acceptable (kept in the reports)."),
    expires: str = typer.Option(..., "--expires", metavar="YYYY-MM-DD", help="The last day the waiver holds."),
    approved_by: str = typer.Option(..., "--approved-by", help="Who approved the exception."),
    policy: Optional[Path] = typer.Option(None, "--policy", metavar="FILE",
                                          help="The policy file to add it to (default: the configured policy "
                                               "file, else ./licscan-policy.yaml, made to extend default)."),
    project: Path = typer.Option(Path("."), "--project", help="The project whose configuration applies."),
) -> None:
    """Add a waiver to a policy file, keeping the file's content and comments, and check that it still loads."""

    def run() -> int:
        import re

        from licscan.config import load_config
        from licscan.model import Waiver
        from licscan.scan import add_waiver

        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", expires):
            _fail(f"--expires must be a date YYYY-MM-DD, not {expires!r}", ExitCode.USAGE)
        try:
            datetime.date.fromisoformat(expires)
        except ValueError:
            _fail(f"--expires {expires} is not a date", ExitCode.USAGE)
        for name, value in (("--reason", reason), ("--approved-by", approved_by), ("MODEL", model)):
            if not value.strip():
                _fail(f"{name} must not be empty", ExitCode.USAGE)
        config = load_config(project)
        target = policy or (Path(config.policy) if config.policy.endswith((".yaml", ".yml"))
                            else Path(config.root) / "licscan-policy.yaml")
        waiver = Waiver(reason=reason.strip(), rule=rule_id.upper() if re.fullmatch(r"(?i)ls\d+", rule_id) else rule_id,
                        model=model.strip(), approved_by=approved_by.strip(), expires=expires)
        today = _clock()().date().isoformat()
        created = add_waiver(config, target, waiver, today=today)
        typer.echo(f"{'created' if created else 'updated'} {target}: waived {waiver.rule} for {waiver.model} "
                   f"until {expires}, approved by {waiver.approved_by}")
        if created and target.resolve() != Path(config.policy).resolve():
            typer.echo(f"the scan uses it once the configuration names it: policy: {target.name} "
                       "(in .licscan.yaml or [tool.licscan]), or --policy " + str(target))
        return ExitCode.PASS

    _guarded(run)


@app.command()
def check(
    files: list[Path] = typer.Argument(None, metavar="[FILE]...", help="Files to check (default: the whole project)."),
    lockfile: Optional[Path] = typer.Option(None, "--lockfile", help="The lockfile (default ./licscan.lock)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the verdict line."),
) -> None:
    """Check the models named in FILES against licscan.lock, offline (the pre-commit hook)."""

    def run() -> int:
        from licscan.lock import run_check

        text, code = run_check(lockfile, [str(item) for item in files] if files else None, quiet=quiet)
        typer.echo(text)
        return code

    _guarded(run)


@app.command()
def diff(
    old: Optional[str] = typer.Argument(None, help="A scan id from the history, or a JSON report file."),
    new: Optional[str] = typer.Argument(None, help="A scan id or a JSON report file (default: the newest scan)."),
    project: Path = typer.Option(Path("."), "--project", help="Whose history (default: this directory)."),
) -> None:
    """Show what changed between two scans (default: this project's last two)."""

    def run() -> int:
        from licscan.config import load_config
        from licscan.scan import diff as run_diff

        text, worse = run_diff(load_config(project), old, new)
        typer.echo(text)
        return ExitCode.POLICY_VIOLATION if worse else ExitCode.PASS

    _guarded(run)


@db_app.command("path")
def db_path() -> None:
    """Print where the database is (a file path, or the URL with its password hidden)."""

    def run() -> int:
        from licscan.config import load_config
        from licscan.scan import database_location

        typer.echo(database_location(load_config(Path("."))))
        return ExitCode.PASS

    _guarded(run)


@db_app.command("stats")
def db_stats() -> None:
    """Rows per table, schema revision, size and age of the cached metadata."""

    def run() -> int:
        from licscan.config import load_config
        from licscan.scan import database_stats

        stats = database_stats(load_config(Path(".")))
        typer.echo(f"{stats['where']} ({stats['backend']}, schema revision {stats['revision']})")
        for name, count in sorted(stats["tables"].items()):
            typer.echo(f"  {name}: {count}")
        if stats.get("bytes") is not None:
            typer.echo(f"  size: {stats['bytes'] / 1_048_576:.1f} MiB")
        if stats.get("bytes_per_scan") is not None:
            typer.echo(f"  history: {stats['history_bytes'] / 1_048_576:.1f} MiB stored, "
                       f"{stats['bytes_per_scan'] / 1024:.1f} KiB per scan; the last scan added "
                       f"{(stats['last_scan_bytes'] or 0) / 1024:.1f} KiB")
        for label, key in (("oldest fetch", "oldest_fetch"), ("newest fetch", "newest_fetch")):
            if stats.get(key):
                when = datetime.datetime.fromtimestamp(stats[key], tz=datetime.timezone.utc)
                typer.echo(f"  {label}: {when.isoformat(timespec='seconds').replace('+00:00', 'Z')}")
        typer.echo(f"  projects with history: {stats['projects']}")
        return ExitCode.PASS

    _guarded(run)


@db_app.command("prune")
def db_prune(
    older_than: float = typer.Option(30.0, "--older-than", min=0, help="Days: drop metadata older than this."),
    keep_scans: int = typer.Option(50, "--keep-scans", min=0, help="Scans kept per project, newest first."),
) -> None:
    """Drop old snapshots no repo's head points at, old misses and aliases, and all but the newest scans."""

    def run() -> int:
        from licscan.config import load_config
        from licscan.scan import database_prune

        removed = database_prune(load_config(Path(".")), older_than_days=older_than, keep_scans=keep_scans)
        freed = removed.pop("bytes_freed", 0)
        typer.echo("removed " + ", ".join(f"{count} {name}" for name, count in sorted(removed.items())))
        typer.echo(f"freed {freed / 1_048_576:.1f} MiB ({freed} bytes)")
        return ExitCode.PASS

    _guarded(run)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date (licscan also does this when it opens an outdated one)."""

    def run() -> int:
        from licscan.config import load_config
        from licscan.scan import database_upgrade

        typer.echo(f"schema revision {database_upgrade(load_config(Path('.')))}")
        return ExitCode.PASS

    _guarded(run)


@mirror_app.command("pull")
def mirror_pull(
    models: list[str] = typer.Argument(None, metavar="[MODEL]...", help="Model ids; with --from-scan, project paths (default: .)."),
    from_scan: bool = typer.Option(False, "--from-scan", help="Pull every model the project(s) name."),
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="The mirror directory (default: the configured mirror, else "
                                               "./licscan-mirror)."),
    refresh: bool = typer.Option(False, "--refresh", help="Ask the Hub now, whatever the freshness window says."),
) -> None:
    """Record models and all their ancestors (info.json, README.md, LICENSE) into a mirror directory."""

    def run() -> int:
        from dataclasses import replace

        from licscan.cards import is_repo_id
        from licscan.config import load_config
        from licscan.scan import mirror_pull as pull

        items = list(models or [])
        projects = [Path(item) for item in (items or ["."])] if from_scan else []
        if not from_scan:
            if not items:
                _fail("name the models to pull, or use --from-scan [PATH]", ExitCode.USAGE)
            bad = [item for item in items if not is_repo_id(item)]
            if bad:
                _fail(f"{bad[0]!r} is not a Hub model id (namespace/name)", ExitCode.USAGE)
        config = load_config(projects[0] if projects else Path("."), check_mirror=False, refresh=refresh or None)
        target = output or (Path(config.mirror) if config.mirror else Path("licscan-mirror"))
        written, missing = pull(replace(config, mirror=None), [] if from_scan else items, target,
                                from_projects=projects)
        typer.echo(f"{target}: recorded {len(written)} repositories")
        for line in missing:
            typer.echo(f"  not recorded: {line}")
        transient = [line for line in missing if line.endswith(("offline", "rate-limited", "network-error"))]
        return ExitCode.INCOMPLETE if transient else ExitCode.PASS

    _guarded(run)


@app.command()
def discover(
    path: Path = typer.Argument(Path("."), help="The project to search."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON (schema licscan-discovery/1) instead of a table."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Read every file again; neither read nor write the cache."),
) -> None:
    """List every place the project names a model or dataset, without contacting the Hub."""

    def run() -> int:
        from licscan.scan import list_occurrences

        typer.echo(list_occurrences(path, as_json=json_out, use_cache=not no_cache), nl=False)
        return ExitCode.PASS

    _guarded(run)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("licscan: interrupted", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))


if __name__ == "__main__":
    main()
