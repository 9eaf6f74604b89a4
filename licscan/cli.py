"""The command line: options in, one call, exit code out. Exit codes and error messages live here only."""

from __future__ import annotations

import datetime
import enum
import os
import sys
import traceback
from pathlib import Path
from typing import Callable, Optional

import typer

from licscan.errors import LicscanError, redact


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


def _fail(message: str, code: ExitCode) -> None:
    typer.echo(f"licscan: error: {redact(message)}", err=True)
    raise typer.Exit(int(code))


def _guarded(action: Callable[[], int]) -> None:
    """Run a command; map every error to a message and an exit code (tracebacks only with --debug)."""
    try:
        code = action()
    except typer.Exit:
        raise
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
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            fixed = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
        except ValueError:
            _fail(f"SOURCE_DATE_EPOCH must be an integer, not {epoch!r}", ExitCode.USAGE)
        return lambda: fixed
    return lambda: datetime.datetime.now(datetime.timezone.utc)


def _write(path: Path, text: str) -> None:
    """Write a report atomically, so a CI job never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def _color(choice: Optional[bool]) -> bool:
    if choice is not None:
        return choice
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


@app.callback()
def main_options(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    _state["debug"] = debug


@app.command()
def scan(
    path: Path = typer.Argument(Path("."), help="The project to scan."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the JSON report here."),
    markdown_out: Optional[Path] = typer.Option(None, "--markdown", help="Write a Markdown summary here."),
    html_out: Optional[Path] = typer.Option(None, "--html", help="Write the HTML audit report here."),
    sarif_out: Optional[Path] = typer.Option(None, "--sarif", help="Write SARIF 2.1.0 here."),
    junit_out: Optional[Path] = typer.Option(None, "--junit", help="Write JUnit XML here."),
    cyclonedx_out: Optional[Path] = typer.Option(None, "--cyclonedx", help="Write a CycloneDX 1.6 SBOM here."),
    spdx_out: Optional[Path] = typer.Option(None, "--spdx", help="Write an SPDX 2.3 SBOM (JSON) here."),
    mirror: Optional[Path] = typer.Option(None, "--mirror", help="Resolve from this offline mirror directory."),
    policy: Optional[str] = typer.Option(None, "--policy", help="Policy name (rules/policies) or a policy file."),
    rules_dir: list[Path] = typer.Option([], "--rules-dir", help="Extra rules directory (overrides shipped rules)."),
    max_depth: Optional[int] = typer.Option(None, "--max-depth", min=1, help="Ancestry depth limit."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the verdict line."),
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help="Colour (default: when a terminal)."),
) -> None:
    """Find the models a project uses, resolve their ancestry, evaluate licences and origins."""

    def run() -> int:
        from licscan.config import data_dir, load_config
        from licscan.reporting import get_format
        from licscan.reporting.terminal import render
        from licscan.scan import scan as run_scan

        config = load_config(
            path, mirror=mirror, policy=policy, max_depth=max_depth,
            rules_dirs=tuple(str(item) for item in rules_dir) or None,
        )
        result = run_scan(config, clock=_clock(), project_label=str(path))
        outputs = {"json": json_out, "markdown": markdown_out, "html": html_out, "sarif": sarif_out, "junit": junit_out,
                   "cyclonedx": cyclonedx_out, "spdx": spdx_out}
        for fmt, target in outputs.items():
            if target is not None:
                _write(target, get_format(fmt, data_dir("reports")).render(result))
        text = render(result, color=_color(color))
        typer.echo(text.rstrip().splitlines()[-1] if quiet else text.rstrip())
        return _verdict_code(result.verdict.value)

    _guarded(run)


def _verdict_code(verdict: str) -> int:
    return {"pass": ExitCode.PASS, "fail": ExitCode.POLICY_VIOLATION, "incomplete": ExitCode.INCOMPLETE}[verdict]


@app.command()
def tree(
    model: str = typer.Argument(..., help="A Hub model id, e.g. meta-llama/Llama-3.1-8B-Instruct."),
    mirror: Optional[Path] = typer.Option(None, "--mirror", help="Resolve from this offline mirror directory."),
    color: Optional[bool] = typer.Option(None, "--color/--no-color"),
) -> None:
    """Print one model's ancestry with each node's licence and origin."""

    def run() -> int:
        from licscan.cards import is_repo_id
        from licscan.config import load_config
        from licscan.reporting.terminal import render
        from licscan.scan import scan_models

        if not is_repo_id(model):
            _fail(f"{model!r} is not a Hub model id (namespace/name)", ExitCode.USAGE)
        config = load_config(Path("."), mirror=mirror)
        result = scan_models(config, [model], clock=_clock())
        typer.echo(render(result, color=_color(color)))
        return _verdict_code(result.verdict.value)

    _guarded(run)


@app.command()
def explain(
    name: str = typer.Argument(..., help="A rule id or name (LS120, non-commercial) or a licence key (llama3.1)."),
) -> None:
    """Explain a rule or a licence in plain words, with sources."""

    def run() -> int:
        from licscan.catalog import help_uri, rule
        from licscan.config import data_dir
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
        knowledge = load_knowledge([data_dir("rules")])
        keys = knowledge.aliases.get(name.strip().lower(), ())
        if not keys:
            _fail(f"no rule or licence called {name!r}", ExitCode.USAGE)
        for key in keys:
            typer.echo(_explain_license(knowledge.licenses[key]))
        return ExitCode.PASS

    _guarded(run)


def _explain_license(record) -> str:
    from licscan.evaluation.inheritance import conditions_of, obligations_of

    lines = [f"{record.key}: {record.name}" + (f" ({record.version})" if record.version else "")]
    lines.append(f"SPDX: {record.spdx_id}")
    lines.append(f"Commercial use: {record.commercial_use.value}"
                 + (" [unconfirmed]" if "commercial_use" in record.unconfirmed else ""))
    if record.summary:
        lines.append(f"\n{record.summary}")
    conditions = conditions_of(record)
    if conditions:
        lines.append("\nConditions:")
        lines.extend(f"  - {text}" for text in conditions)
    duties = obligations_of(record, "(the model)")
    if duties:
        lines.append("\nObligations:")
        lines.extend(f"  - {duty.kind}: {duty.text}" for duty in duties)
    if record.territory_note:
        lines.append(f"\nTerritory: {record.territory_note}")
    if record.unconfirmed:
        lines.append(f"\nUnconfirmed fields: {', '.join(record.unconfirmed)}")
    lines.append("\nSources:")
    lines.extend(
        f"  - {source.citation}{f' <{source.url}>' if source.url else ''} ({source.date}, {source.confidence})"
        for source in record.sources
    )
    return "\n".join(lines) + "\n"


@rules_app.command("validate")
def rules_validate(
    directory: list[Path] = typer.Argument(None, help="Rules directories (default: the shipped rules)."),
) -> None:
    """Check rule files: schema, unknown keys, sources and dates; errors name the file and key."""

    def run() -> int:
        from licscan.config import data_dir
        from licscan.evaluation.knowledge import load_knowledge
        from licscan.evaluation.licenses import check_spdx_id

        dirs = tuple(str(item) for item in directory) if directory else (str(data_dir("rules")),)
        knowledge = load_knowledge(dirs)
        for record in knowledge.licenses.values():
            check_spdx_id(record)
        typer.echo(
            f"ok: {len(knowledge.licenses)} licences, {len(knowledge.origins)} publisher namespaces, "
            f"{len(knowledge.policies)} policies in {', '.join(dirs)}"
        )
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
