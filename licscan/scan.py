"""Where the stages meet: discovery, then resolution, then evaluation; returns one ScanResult."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
from collections import defaultdict
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

from pathlib import Path

from licscan import __version__
from licscan.config import ScanConfig
from licscan.errors import ConfigError
from licscan.model import Location, LocalModel, ModelRef, Occurrence, RefKind, service_parts

if TYPE_CHECKING:
    from licscan.model import ScanResult

Clock = Callable[[], datetime.datetime]
_COMMAND_LINE = Location(path="<command line>")


def list_occurrences(path: Path, *, as_json: bool = False, use_cache: bool = True) -> str:
    """`licscan discover`: every place the project names a model or dataset, as text or JSON; no Hub access."""
    from licscan.config import load_config
    from licscan.discovery import discover
    from licscan.discovery.listing import render_json, render_text

    # discover never opens the database: an in-memory URL spares finding the user cache directory (as check does).
    config = load_config(path, check_mirror=False, db_url=os.environ.get("LICSCAN_DB_URL") or "sqlite://")
    settings = config.discovery(use_cache=use_cache)
    result = discover(config.root, settings)
    return (render_json if as_json else render_text)(result)


def write_output(path: Path, text: str | Iterable[str]) -> None:
    """Write a report or a lockfile atomically, so a CI job never reads half a file; text may come in pieces
    (a streamed report). A path that cannot be written (its folder is a file, a directory stands there, no
    permission) is the user's to fix: exit 2."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("w", encoding="utf-8") as handle:
            for piece in (text,) if isinstance(text, str) else text:
                handle.write(piece)
        temporary.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:  # a report that failed half-way leaves no half-written temporary file behind
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def scan(config: ScanConfig, *, clock: Clock = _utc_now, project_label: str | None = None,
         history: bool = True, progress: Callable[..., None] | None = None) -> ScanResult:
    """Scan a project: every model it names, through its whole ancestry, judged by the policy.

    The scan is kept in the history of the metadata database (see `licscan diff`) unless history=False.
    `progress` is told the phase ("discover", "resolve" with done/known/requests, "wait" with seconds,
    "evaluate"), for a display.
    """
    from licscan import discovery, evaluation, resolution

    # Rules are read first: a broken rules directory should fail before any network traffic.
    knowledge, policy = evaluation.load(config.evaluation())
    if progress is not None:
        progress("discover")
    found = discovery.discover(config.root, config.discovery())
    # The database too: a cache that cannot be used fails the scan before any request is spent.
    store = open_database(config) if (history or not config.mirror) else None
    try:
        result, kept = _evaluate(
            config, found.occurrences, found.local_models, found.skipped, found.files_scanned,
            knowledge, policy, clock, project_label, resolution, evaluation, store=store, progress=progress,
        )
        if history and store is not None:
            record_history(store, config, result, kept=kept)
        return result
    finally:
        if store is not None:
            store.close()


def open_database(config: ScanConfig):
    """The metadata cache and scan history of this configuration (CacheError when it cannot be used)."""
    from licscan import resolution

    return resolution.open_store(config.db_url, pool_size=config.db_pool_size)


def _secrets() -> tuple[str, ...]:
    """The tokens the history scrubs from what it keeps."""
    return tuple(item for item in (os.environ.get("HF_TOKEN"), os.environ.get("HUGGING_FACE_HUB_TOKEN")) if item)


def record_history(store, config: ScanConfig, result: ScanResult, *, kept=None) -> int:
    """Keep a scan (its JSON report: models, lineage, findings) under the project's key; returns its id.

    With the scan's kept evaluations, a model whose part an earlier scan stored (same evaluation digest,
    occurrences and tokens) is referenced by that part's digest instead of being encoded again, and the
    digests of parts stored now are kept for the next scan. The report is read lazily (report_view): a part
    referenced by its digest is never built, so an unchanged re-scan builds none of its models' parts."""
    from licscan.reporting.json_report import report_view

    part_keys: dict[int, str] = {}
    known: dict[int, str] = {}
    list_keys: dict[str, str] = {}
    known_lists: dict[str, str] = {}
    if kept is not None and [report.key for report in result.models] == sorted(kept.part_keys):
        for index, report in enumerate(result.models):
            part_key = kept.part_keys[report.key]
            if part_key is not None:
                part_keys[index] = part_key
                digest = kept.part_digest(part_key)
                if digest is not None:
                    known[index] = digest
        list_keys = dict(kept.list_keys)
        known_lists = {name: digest for name, key in list_keys.items()
                       if (digest := kept.part_digest(key)) is not None}
    stored: dict[int, str] = {}
    stored_lists: dict[str, str] = {}
    scan_id = store.record_scan(config.project_key, result.project, report_view(result), secrets=_secrets(),
                                known_parts=known, part_digests=stored, known_lists=known_lists,
                                list_digests=stored_lists)
    new = {part_keys[index]: digest for index, digest in stored.items()
           if index in part_keys and known.get(index) != digest}
    new.update({list_keys[name]: digest for name, digest in stored_lists.items()
                if name in list_keys and known_lists.get(name) != digest})
    store.keep_evaluations({key: digest.encode("ascii") for key, digest in new.items()})
    return scan_id


def scan_models(config: ScanConfig, repo_ids: Sequence[str], *, clock: Clock = _utc_now) -> ScanResult:
    """Resolve and evaluate the given models without discovery (for `licscan tree`)."""
    from licscan import evaluation, resolution

    knowledge, policy = evaluation.load(config.evaluation())
    occurrences = tuple(
        Occurrence(ref=ModelRef(repo_id), location=_COMMAND_LINE, source="command-line", via="declared")
        for repo_id in repo_ids
    )
    result, _ = _evaluate(config, occurrences, (), (), 0, knowledge, policy, clock,
                          ", ".join(repo_ids), resolution, evaluation)  # the title names what was asked for
    return result


def _evaluate(config, occurrences, local_models, skipped, files_scanned, knowledge, policy, clock, project_label,
              resolution, evaluation, *, store=None, progress=None):
    """The scan's result, and the evaluations kept across scans that it read and added (None without a store)."""
    model_occurrences = [item for item in occurrences if item.ref.kind in _ROOT_KINDS]
    roots: dict[str, ModelRef | LocalModel] = {}
    by_key: dict[str, list[Occurrence]] = defaultdict(list)
    for item in model_occurrences:
        key = item.ref.key
        roots.setdefault(key, ModelRef(item.ref.repo_id, item.ref.revision, item.ref.kind))
        by_key[key].append(item)
    for local in local_models:
        roots[local.key] = local
        by_key[local.key].append(
            Occurrence(ref=ModelRef(local.key), location=local.location, source="model-dir", via="local")
        )
    # Base models licscan's rules record (rules/lineage.yaml) are walked by resolution like the cards' own.
    settings = dataclasses.replace(config.resolution(), extra_parents=knowledge.extra_parents, progress=progress,
                                   runtime_parents=runtime_parents(roots, knowledge.providers))
    resolved = resolution.resolve(list(roots.values()), settings, store=store)
    lineages = fold_api_names(dict(resolved.lineages), by_key)
    if progress is not None:
        progress("evaluate")
    generated = clock().astimezone(datetime.timezone.utc).replace(microsecond=0)
    # A waiver names its policy file in reports: relative to the project, so reports do not name the checkout.
    policy = dataclasses.replace(policy, waivers=tuple(
        dataclasses.replace(waiver, policy_file=project_label_path(config, waiver.policy_file))
        for waiver in policy.waivers))
    today = generated.date().isoformat()
    kept = None
    if store is not None:
        # Results an earlier scan kept for the same lineage, rules, policy, context and licscan: one read.
        kept = evaluation.KeptEvaluations(rules_dirs=config.evaluation().rules_dirs, policy=policy,
                                          context=config.context, today=today)
        kept.rows = store.kept_evaluations(kept.plan(lineages, by_key, _secrets()))
    outcome = evaluation.evaluate(lineages, by_key, knowledge, policy, config.context, today=today, kept=kept)
    if kept is not None and kept.new:
        store.keep_evaluations(kept.new)
    from licscan.model import ScanResult  # resolution's and evaluation's records: not loaded for `discover`

    result = ScanResult(
        project=project_label or str(config.root),
        generated_at=generated.isoformat().replace("+00:00", "Z"),
        tool_version=__version__,
        policy=outcome.policy,
        models=outcome.models,
        findings=outcome.findings,
        skipped=tuple(sorted(skipped)),
        verdict=outcome.verdict,
        waivers=outcome.waivers,
        stats=resolved.stats,
        files_scanned=files_scanned,
        answers=outcome.answers,
        project_root=str(config.root),
        license_records={
            key: knowledge.licenses[key]
            for key in sorted({key for report in outcome.models for key in report.effective.licenses})
        },
        audit={
            "commit": project_commit(config.root),
            "rules_reviewed": {
                name: date for name, date in (
                    ("publishers and listings", knowledge.origins_reviewed),
                    ("lineage records", knowledge.lineage_reviewed),
                    ("notices and remedies", knowledge.answers.reviewed if knowledge.answers else None),
                ) if date
            },
        },
        settings={
            "policy": policy.name,
            "offline": config.offline or config.mirror is not None,
            "mirror": project_label_path(config, config.mirror),
            "max_depth": config.max_depth,
        },
    )
    return result, kept


_ROOT_KINDS = (RefKind.MODEL, RefKind.HOSTED_API, RefKind.RUNTIME)
BY_NAME = "by-name"  # the `via` of a place folded into a hosted API by its name alone (no API read there)


def _place(occurrence: Occurrence, name: str) -> tuple:
    where = occurrence.location
    return where.path, where.line, where.cell, name.lower()


def hosted_places(occurrences: Iterable[Occurrence]) -> dict[tuple, str]:
    """(path, line, cell, lower-case model name) of each hosted-API use, to its key."""
    places = {}
    for item in occurrences:
        parts = service_parts(item.ref.key) if item.ref.kind is RefKind.HOSTED_API else None
        if parts is not None:
            places.setdefault(_place(item, parts[1]), item.ref.key)
    return places


def api_name_target(occurrence: Occurrence, places: Mapping[tuple, str], candidates: Sequence[str]) -> str | None:
    """The hosted-API dependency a Hub reading of a name the Hub has no repository of belongs to: the one read as
    an API use at the same place, else the project's only API use of that name; None when neither is one. A place
    that names a server and was not read as the API's (`ChatNVIDIA(base_url="http://localhost:8000/v1", ...)`, a
    self-hosted NIM) is a server of the project's own, not the API by name."""
    here = places.get(_place(occurrence, occurrence.ref.repo_id))
    if here is not None and here in candidates:
        return here
    return candidates[0] if len(candidates) == 1 and "://" not in occurrence.text else None


def fold_api_names(lineages: dict, by_key: dict[str, list[Occurrence]]) -> dict:
    """A name the project uses through a provider's API is often also read as a Hub id (NVIDIA's
    'meta/llama3-70b-instruct'). Where the Hub answered that it has no repository of that name (its own
    not-found answer: never an outage, a rate limit or a refused token, which stay unresolved), the places that
    read it as a Hub id are that API's: dropped where the API use was read at the same place, otherwise added to
    it (via 'by-name') when the project uses that name through one API only. The hosted node records the names
    (`not_on_hub`, for LS162). A Hub model left with no place of its own is no longer a root; one with places
    still its own (no API use of the name, or several) stays unresolved as before. `by_key` is changed in place;
    the lineages are returned."""
    occurrences = [item for items in by_key.values() for item in items]
    places = hosted_places(occurrences)
    by_name: dict[str, list[str]] = defaultdict(list)
    for key in sorted(set(places.values())):
        by_name[service_parts(key)[1].lower()].append(key)  # type: ignore[index]
    folded: dict[str, set[str]] = defaultdict(set)
    for key in sorted(lineages):
        lineage = lineages[key]
        own = by_key.get(key, ())
        if (lineage.nodes or len(lineage.unresolved) != 1 or not lineage.unresolved[0].no_such_repo
                or not own or any(item.ref.kind is not RefKind.MODEL or item.ref.revision for item in own)):
            continue
        candidates = by_name.get(key.lower(), [])
        kept = []
        for item in own:
            target = api_name_target(item, places, candidates) if candidates else None
            if target is None:
                kept.append(item)
                continue
            folded[target].add(item.ref.repo_id)
            if places.get(_place(item, item.ref.repo_id)) != target:
                by_key[target].append(dataclasses.replace(
                    item, ref=ModelRef(target, kind=RefKind.HOSTED_API), via=BY_NAME))
        if kept:
            by_key[key] = kept
        else:
            del by_key[key], lineages[key]
    for target, names in folded.items():
        lineage = lineages.get(target)
        if lineage is not None and lineage.nodes:
            node = dataclasses.replace(lineage.nodes[0], not_on_hub=tuple(sorted(names)))
            lineages[target] = dataclasses.replace(lineage, nodes=(node, *lineage.nodes[1:]))
    return lineages


def runtime_parents(roots, providers) -> dict[str, str]:
    """The Hub model each runtime tag among the roots packages, as rules/providers.yaml maps it."""
    mapped = {}
    for key, root in roots.items():
        if isinstance(root, ModelRef) and root.kind is RefKind.RUNTIME:
            runtime, _, tag = key.partition(":")
            entry = providers.runtime_tag(runtime, tag)
            if entry is not None:
                mapped[key] = entry.hub_model
    return mapped


_SHA = frozenset("0123456789abcdef")


def _small_file(path: Path, limit: int = 1 << 16) -> str | None:
    """A regular file's text (not a link, at most `limit` bytes), or None."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > limit:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def project_commit(root: Path) -> str | None:
    """The commit the project is checked out at, read from its .git folder (git is never run, and no link is
    followed out of the folder: a .git file pointing elsewhere, as a worktree has, gives None)."""
    git = root / ".git"
    if git.is_symlink() or not git.is_dir():
        return None
    head = (_small_file(git / "HEAD") or "").strip()
    if head.startswith("ref: "):
        ref = head[5:].strip()
        if not ref.startswith("refs/") or ".." in ref.split("/"):
            return None
        value = (_small_file(git / ref) or "").strip()
        if not value:
            for line in (_small_file(git / "packed-refs", 1 << 24) or "").splitlines():
                sha, _, name = line.partition(" ")
                if name.strip() == ref:
                    value = sha
                    break
        head = value
    return head if len(head) == 40 and set(head) <= _SHA else None


def project_label_path(config: ScanConfig, path: str | None) -> str | None:
    """A path shown relative to the project where it can be, so reports do not depend on the checkout."""
    if path is None:
        return None
    try:
        return Path(path).resolve().relative_to(config.root).as_posix()
    except ValueError:
        return Path(path).name


# ---------------------------------------------------------------------------------------------------------
# Maintenance: the offline mirror, the database, the scan history
# ---------------------------------------------------------------------------------------------------------


def mirror_pull(config: ScanConfig, models: Sequence[str], target: Path, *,
                from_projects: Sequence[Path] = ()) -> tuple[list[str], list[str]]:
    """Record the given models, or every model the projects name, and all their ancestors into the mirror at
    target. config.mirror, when set, is read from (copying one mirror into another); otherwise the Hub (or the
    cache under HF_HUB_OFFLINE). Returns (repos written, 'id: reason' of what could not be read)."""
    from dataclasses import replace

    from licscan import discovery, evaluation, resolution
    from licscan.config import load_config

    knowledge, _ = evaluation.load(config.evaluation())
    roots: dict[str, ModelRef | LocalModel] = {repo_id: ModelRef(repo_id) for repo_id in models}
    for project in from_projects:
        project_config = load_config(project, check_mirror=False)
        found = discovery.discover(project_config.root, project_config.discovery())
        runtime_tags = {item.ref.key: ModelRef(item.ref.repo_id, kind=RefKind.RUNTIME) for item in found.occurrences
                        if item.ref.kind is RefKind.RUNTIME}
        for hub_model in runtime_parents(runtime_tags, knowledge.providers).values():
            roots.setdefault(hub_model, ModelRef(hub_model))  # a runtime tag's Hub model, for offline scans
        for item in found.occurrences:
            if item.ref.kind is RefKind.MODEL:
                roots.setdefault(item.ref.key, ModelRef(item.ref.repo_id, item.ref.revision))
        for local in found.local_models:
            roots.setdefault(local.key, local)
    # The edges licscan's rules add (rules/lineage.yaml) are walked too, so an offline scan of the mirror
    # finds the same ancestors as an online one.
    settings = replace(config.resolution(), extra_parents=knowledge.extra_parents)
    store = open_database(config) if not settings.mirror else None
    try:
        result, written = resolution.pull_mirror(list(roots.values()), settings, target, store=store)
    finally:
        if store is not None:
            store.close()
    missing = sorted({f"{gap.repo_id}: {gap.reason.value}" for lineage in result.lineages.values()
                      for gap in lineage.unresolved})
    return written, missing


def database_location(config: ScanConfig) -> str:
    from licscan import resolution

    return resolution.describe_url(config.db_url or "")


def database_stats(config: ScanConfig) -> dict:
    store = open_database(config)
    try:
        return store.stats()
    finally:
        store.close()


def database_prune(config: ScanConfig, *, older_than_days: float, keep_scans: int) -> dict:
    store = open_database(config)
    try:
        return store.prune(older_than=older_than_days * 86_400, keep_scans=keep_scans)
    finally:
        store.close()


def database_upgrade(config: ScanConfig) -> str | None:
    """Open (and so migrate) the database; returns its schema revision."""
    store = open_database(config)
    try:
        return store.revision()
    finally:
        store.close()


def history(config: ScanConfig, *, limit: int = 20) -> list:
    store = open_database(config)
    try:
        return store.scans(config.project_key, limit=limit)
    finally:
        store.close()


def diff(config: ScanConfig, old: str | None = None, new: str | None = None) -> tuple[str, bool]:
    """What changed between two scans: ids from the history, or JSON report files; by default the last two
    scans of this project. With it, whether the gate got worse (see reporting.diff.got_worse)."""
    import json

    from licscan.errors import ConfigError
    from licscan.reporting.diff import got_worse, render

    def load(ref: str, store) -> tuple[str, dict]:
        path = Path(ref)
        if not ref.isdigit() or path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise ConfigError(f"{ref} is neither a scan id of the history nor a report file") from None
            except (OSError, ValueError) as exc:
                raise ConfigError(f"{ref} is not a licscan JSON report: {exc}") from None
            except RecursionError:  # a crafted file: arrays nested deeper than the parser goes
                raise ConfigError(f"{ref} is not a licscan JSON report: it is nested too deeply to be one") from None
            if not isinstance(data, dict) or data.get("schema") != "licscan-report/1":
                raise ConfigError(f"{ref} is not a licscan JSON report (schema licscan-report/1)")
            return ref, data
        found = store.scan_report(int(ref))
        if found is None:
            raise ConfigError(f"there is no scan {ref} in the history ({store.where})")
        record, data = found
        return f"scan {record.id} ({record.generated_at})", data

    store = open_database(config)
    try:
        if old is None or new is None:
            recent = store.scans(config.project_key, limit=2)
            if new is None and old is not None:
                new = str(recent[0].id) if recent else None
            elif old is None and new is None:
                if len(recent) < 2:
                    raise ConfigError(f"the history holds {len(recent)} scan{'s' if len(recent) != 1 else ''} of "
                                      f"{config.project_key}; diff needs two (run `licscan scan` again, or name "
                                      "two scans or report files)")
                old, new = str(recent[1].id), str(recent[0].id)
            if old is None or new is None:
                raise ConfigError(f"the history holds no scan of {config.project_key} to compare with")
        old_label, old_data = load(old, store)
        new_label, new_data = load(new, store)
    finally:
        store.close()
    return render(old_label, new_label, old_data, new_data), got_worse(old_data, new_data)


def add_waiver(config: ScanConfig, policy_file: Path, waiver, *, today: str) -> bool:
    """Append a waiver to a policy file (made, extending default, when there is none) and check that the file
    still loads as a policy; returns whether the file was created. Nothing is written when it would not load."""
    from licscan import evaluation
    from licscan.evaluation.knowledge import parse_policy
    from licscan.evaluation.policy import append_waiver, new_policy_text
    from licscan.safeyaml import load as load_yaml

    if waiver.expires is not None and waiver.expires < today:
        raise ConfigError(f"--expires {waiver.expires} is already past (today is {today})")
    knowledge = evaluation.load_knowledge(config.evaluation().rules_dirs)
    created = not policy_file.exists()
    shown = str(policy_file)
    if created:
        # It builds on the policy the project uses now, so adding a waiver never loosens anything else.
        named = config.policy if config.policy in knowledge.policies else "default"
        text = new_policy_text(waiver, name=Path(config.root).name or "project", extends=named)
    else:
        try:
            before = policy_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {shown}: {exc}") from None
        parse_policy(load_yaml(before.encode("utf-8"), what=shown, unique_keys=True), file=shown, bases=knowledge.policies)
        text = append_waiver(before, waiver, file=shown)
    policy = parse_policy(load_yaml(text.encode("utf-8"), what=shown, unique_keys=True), file=shown, bases=knowledge.policies)
    if not policy.waivers or dataclasses.replace(policy.waivers[-1], policy_file=None) != waiver:
        raise ConfigError("the waiver could not be added as written; add it by hand", file=shown, key="waivers")
    write_output(policy_file, text)
    return created
