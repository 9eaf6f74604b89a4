"""Where the stages meet: discovery, then resolution, then evaluation; returns one ScanResult."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Callable, Sequence

from licscan import __version__
from licscan.config import ScanConfig
from pathlib import Path

from licscan.model import Location, LocalModel, ModelRef, Occurrence, RefKind, ScanResult

Clock = Callable[[], datetime.datetime]
_COMMAND_LINE = Location(path="<command line>")


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def scan(config: ScanConfig, *, clock: Clock = _utc_now, project_label: str | None = None) -> ScanResult:
    """Scan a project: every model it names, through its whole ancestry, judged by the policy."""
    from licscan import discovery, evaluation, resolution

    # Rules are read first: a broken rules directory should fail before any network traffic.
    knowledge, policy = evaluation.load(config.evaluation())
    found = discovery.discover(config.root, config.discovery())
    return _evaluate(
        config, found.occurrences, found.local_models, found.skipped, found.files_scanned,
        knowledge, policy, clock, project_label, resolution, evaluation,
    )


def scan_models(config: ScanConfig, repo_ids: Sequence[str], *, clock: Clock = _utc_now) -> ScanResult:
    """Resolve and evaluate the given models without discovery (for `licscan tree`)."""
    from licscan import evaluation, resolution

    knowledge, policy = evaluation.load(config.evaluation())
    occurrences = tuple(
        Occurrence(ref=ModelRef(repo_id), location=_COMMAND_LINE, source="command-line", via="declared")
        for repo_id in repo_ids
    )
    return _evaluate(config, occurrences, (), (), 0, knowledge, policy, clock, "command line", resolution, evaluation)


def _evaluate(config, occurrences, local_models, skipped, files_scanned, knowledge, policy, clock, project_label,
              resolution, evaluation) -> ScanResult:
    model_occurrences = [item for item in occurrences if item.ref.kind is RefKind.MODEL]
    roots: dict[str, ModelRef | LocalModel] = {}
    by_key: dict[str, list[Occurrence]] = defaultdict(list)
    for item in model_occurrences:
        key = item.ref.key
        roots.setdefault(key, ModelRef(item.ref.repo_id, item.ref.revision))
        by_key[key].append(item)
    for local in local_models:
        roots[local.key] = local
        by_key[local.key].append(
            Occurrence(ref=ModelRef(local.key), location=local.location, source="model-dir", via="local")
        )
    resolved = resolution.resolve(list(roots.values()), config.resolution())
    lineages = dict(resolved.lineages)
    outcome = evaluation.evaluate(lineages, by_key, knowledge, policy)
    generated = clock().astimezone(datetime.timezone.utc).replace(microsecond=0)
    return ScanResult(
        project=project_label or str(config.root),
        generated_at=generated.isoformat().replace("+00:00", "Z"),
        tool_version=__version__,
        policy=outcome.policy,
        models=outcome.models,
        findings=outcome.findings,
        skipped=tuple(sorted(skipped)),
        verdict=outcome.verdict,
        stats=resolved.stats,
        files_scanned=files_scanned,
        license_records={
            key: knowledge.licenses[key]
            for key in sorted({key for report in outcome.models for key in report.effective.licenses})
        },
        settings={
            "policy": policy.name,
            "offline": config.offline or config.mirror is not None,
            "mirror": project_label_path(config, config.mirror),
            "max_depth": config.max_depth,
        },
    )


def project_label_path(config: ScanConfig, path: str | None) -> str | None:
    """A path shown relative to the project where it can be, so reports do not depend on the checkout."""
    if path is None:
        return None
    try:
        return Path(path).resolve().relative_to(config.root).as_posix()
    except ValueError:
        return Path(path).name
