"""Plain words for the answers, shared by the human-facing renderers (HTML, Markdown, terminal, notice):
the verdict in one sentence, the obligations checklist, licence field names and links as a reader says them."""

from __future__ import annotations

from dataclasses import dataclass

from licscan.model import DecisionKind, ScanResult, Verdict

# Licence record fields, as a reader says them (reports never show internal field names): the data model's words.
class _FieldWords(dict):
    def get(self, name, default=None):  # noqa: D401 - a mapping over every field name
        from licscan.model.findings import term_words

        return term_words(name)


FIELD_WORDS = _FieldWords()
# How each decision reads after a count: (one, several).
_VERBS = {
    DecisionKind.BLOCKED: ("is blocked", "are blocked"),
    DecisionKind.NEEDS_REVIEW: ("needs review", "need review"),
    DecisionKind.OK_WITH_OBLIGATIONS: ("is OK with obligations", "are OK with obligations"),
    DecisionKind.OK: ("is OK", "are OK"),
}
_VERDICT_WORDS = {Verdict.PASS: "Cleared", Verdict.FAIL: "Not cleared", Verdict.INCOMPLETE: "Incomplete"}


def verdict_sentence(result: ScanResult) -> str:
    """The project's answer in one sentence."""
    count = len(result.models)
    if not count:
        return f"{_VERDICT_WORDS[result.verdict]}: the project names no model."
    decisions = result.answers.decisions if result.answers else ()
    counts = {kind: sum(1 for item in decisions if item.kind is kind) for kind in DecisionKind}
    parts = [f"{counts[kind]} {_VERBS[kind][counts[kind] != 1]}" for kind in DecisionKind if counts[kind]]
    tail = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else (parts[0] if parts else "")
    lead = {Verdict.PASS: "Cleared under the policy", Verdict.FAIL: "Not cleared under the policy",
            Verdict.INCOMPLETE: "Incomplete: some evidence could not be read, so the project is not cleared"}
    return f"{lead[result.verdict]}: of {count} model{'s' if count != 1 else ''}, {tail}."


OBLIGATION_WORDS = {
    "display": "Display",
    "notice-file": "Ship a Notice file containing",
    "registration": "Register with the licensor",
    "use-policy": "Pass the use policy on to your users",
    "licence-copy": "Include the licence text",
    "attribution": "Keep the copyright and licence notices",
    "naming": "Name published derivatives as required",
    "output-training": "Respect the limits on training with outputs",
}
OUTCOME_WORDS = {"applies": "Applies", "does-not-apply": "Does not apply", "cannot-tell": "Cannot tell"}
CLASS_WORDS = {"allowed": "allowed", "conditional": "allowed under conditions", "unknown": "unknown",
               "non-commercial": "not allowed (research or evaluation only)"}
_MODE_WORDS = {"internal": "used internally", "saas": "offered as a service or API", "shipped":
               "shipped in an application or device", "weights-redistributed": "weights redistributed",
               "derivative-published": "derivative models published"}


def context_words(context) -> list[str]:
    """The deployment context in plain words, one phrase per fact given."""
    if context is None:
        return []

    def amount(band, unit: str) -> str:
        def number(value: float) -> str:
            return f"{value:,.0f}"
        if band.exact:
            return f"{number(band.low)} {unit}"
        if band.high is None:
            return f"more than {number(band.low)} {unit}"
        if band.low == 0:
            return f"fewer than {number(band.high)} {unit}"
        return f"{number(band.low)} to {number(band.high)} {unit}"

    words = []
    if context.established_in:
        words.append(f"company established in {', '.join(context.established_in)}")
    if context.user_regions:
        words.append(f"users in {', '.join(context.user_regions)}")
    if context.monthly_active_users:
        words.append(amount(context.monthly_active_users, "monthly active users"))
    if context.annual_revenue_usd:
        words.append(amount(context.annual_revenue_usd, "USD annual revenue"))
    if context.monthly_revenue_usd:
        words.append(amount(context.monthly_revenue_usd, "USD monthly revenue"))
    if context.use_modes is not None:
        words.append("models " + ", ".join(_MODE_WORDS[mode.value] for mode in context.use_modes))
    if context.commercial is not None:
        words.append("commercial use" if context.commercial else "research or evaluation use only")
    return words


def licence_link(record) -> str | None:
    """Where a licence's text is published: the record's links, SPDX's page, or a source's URL."""
    if record.links:
        return record.links[0]
    if not record.spdx_id.startswith("LicenseRef-"):
        return f"https://spdx.org/licenses/{record.spdx_id}.html"
    return next((source.url for source in record.sources if source.url), None)


@dataclass(frozen=True)
class ChecklistItem:
    """One line of page 1's obligations checklist."""

    title: str
    exact: str | None  # the exact text to show or ship
    detail: str  # what it is about: licences, policies, or the duty's own words
    maybe: str | None  # why it may apply, when the context cannot decide it
    models: tuple[str, ...]


# Kinds whose items stay one per line (their exact text or their words matter); the rest are grouped per kind.
_ONE_EACH = ("display", "notice-file", "registration", "naming")


def checklist(result: ScanResult) -> list[ChecklistItem]:
    """The project's obligations, compact enough for page 1: notices each with its exact text, other duties
    grouped by kind with the licences (or use policies) they come from."""
    answers = result.answers
    if answers is None:
        return []
    records = result.license_records

    def name(key: str) -> str:
        return records[key].name if key in records else key

    items: list[ChecklistItem] = []
    grouped: dict[tuple[str, str, str], list] = {}
    for obligation in answers.obligations:
        maybe = obligation.reason if obligation.outcome.value == "cannot-tell" else None
        if obligation.kind in _ONE_EACH:
            detail = ", ".join(name(key) for key in obligation.licenses)
            if obligation.kind == "naming" or (obligation.kind == "registration" and not obligation.notice_text):
                detail = f"{obligation.text} ({detail})"
            items.append(ChecklistItem(OBLIGATION_WORDS.get(obligation.kind, obligation.kind), obligation.notice_text,
                                       detail, maybe, obligation.models))
            continue
        grouped.setdefault((obligation.kind, obligation.outcome.value, obligation.reason), []).append(obligation)
    for (kind, _, reason), obligations in grouped.items():
        subjects: dict[str, None] = {}
        for obligation in obligations:
            for key in obligation.licenses:
                record = records.get(key)
                subjects.setdefault(record.use_policy if kind == "use-policy" and record and record.use_policy
                                    else name(key), None)
        models = tuple(sorted({model for obligation in obligations for model in obligation.models}))
        items.append(ChecklistItem(OBLIGATION_WORDS.get(kind, kind), None, ", ".join(subjects),
                                   reason if obligations[0].outcome.value == "cannot-tell" else None, models))
    return items


@dataclass(frozen=True)
class UnconfirmedRelease:
    """A release in the scan whose licence licscan's rules have not read in a primary source (LS115), once
    however many models have it in their ancestry."""

    release: str  # the release's name in rules/releases.yaml
    ancestor: str  # the repository of the release in the ancestry
    text: str  # the finding's plain words: what is reported, what the card declares, what is evaluated
    models: tuple[str, ...]  # the models whose ancestry holds it


def unconfirmed_releases(result: ScanResult) -> list[UnconfirmedRelease]:
    """LS115 notes (not failing, not waived: those are listed with their kind), one per release and repository,
    in the order the scan first meets them."""
    found: dict[tuple[str, str], tuple[str, dict[str, None]]] = {}
    for finding in result.findings:
        if finding.rule_id != "LS115" or finding.fails or finding.waiver is not None:
            continue
        release = dict(finding.evidence).get("release") or finding.ancestor
        _, models = found.setdefault((release, finding.ancestor), (finding.message, {}))
        models.setdefault(finding.model, None)
    return [UnconfirmedRelease(release, ancestor, text, tuple(models))
            for (release, ancestor), (text, models) in found.items()]


def short_organization(name: str) -> str:
    """An organisation's name without the registry's notes (in brackets, after a semicolon): the full entry
    is in the publishers appendix."""
    return name.split(" (")[0].split(";")[0].strip()




_INTERNAL = (("the licscan fact base", "licscan's sources"), ("The licscan fact base", "licscan's sources"),
             ("the fact base's", "licscan's"), ("The fact base's", "licscan's"), ("the fact base", "licscan's sources"),
             ("The fact base", "licscan's sources"), ("fact base", "licscan's sources"))


def reader_words(text: str) -> str:
    """Text from rules/ as a reader sees it: the rules' internal name for their research is not shown."""
    for internal, plain in _INTERNAL:
        text = text.replace(internal, plain)
    return text
