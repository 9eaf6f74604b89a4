"""Answers from facts: each licence term judged against the deployment context, one decision per model, the
project's de-duplicated obligations, and what a user can do about each failing or review finding."""

from __future__ import annotations

from typing import Iterable, Sequence

from licscan.catalog import rule
from licscan.evaluation.answer_rules import AnswerRules, Notice
from licscan.evaluation.inheritance import _METRIC_WORDS, _number, bindings, obligations_of
from licscan.evaluation.knowledge import Knowledge
from licscan.model import (
    Answers,
    Band,
    CommercialUse,
    Decision,
    DecisionKind,
    DeploymentContext,
    Finding,
    Judgement,
    LicenseTerms,
    ListedParty,
    ModelReport,
    Outcome,
    ProjectObligation,
    Remedy,
    Source,
    UseMode,
)

_METRIC_KEYS = {
    "mau": "monthly_active_users",
    "annual-revenue-usd": "annual_revenue_usd",
    "monthly-revenue-usd": "monthly_revenue_usd",
}
# How each use reads when it is absent: the reason a duty tied to it does not apply.
_NOT_USED = {
    UseMode.SAAS: "the model is not offered as a service",
    UseMode.SHIPPED: "the model is not shipped in an application or device",
    UseMode.WEIGHTS_REDISTRIBUTED: "the weights are not redistributed",
    UseMode.DERIVATIVE_PUBLISHED: "no derivative model is distributed",
}
_USED = {
    UseMode.INTERNAL: "used internally",
    UseMode.SAAS: "offered as a service",
    UseMode.SHIPPED: "shipped in an application or device",
    UseMode.WEIGHTS_REDISTRIBUTED: "weights redistributed",
    UseMode.DERIVATIVE_PUBLISHED: "a derivative model is distributed",
}
_DISTRIBUTION = frozenset({UseMode.SHIPPED, UseMode.WEIGHTS_REDISTRIBUTED, UseMode.DERIVATIVE_PUBLISHED})
_EVERY_USE_BUT_INTERNAL = frozenset(UseMode) - {UseMode.INTERNAL}
_UNCONFIRMED = "unconfirmed"


def _mode_outcome(modes: frozenset[UseMode], context: DeploymentContext) -> tuple[Outcome, str]:
    """Whether a duty tied to these uses is due under the context's uses, and why."""
    if context.use_modes is None:
        return Outcome.CANNOT_TELL, "the context does not say how the model is used"
    used = [mode for mode in context.use_modes if mode in modes]
    if used:
        return Outcome.APPLIES, "; ".join(_USED[mode] for mode in used)
    return Outcome.DOES_NOT_APPLY, "; ".join(_NOT_USED[mode] for mode in UseMode if mode in modes and mode in _NOT_USED)


def _amount(value: float, metric: str) -> str:
    words = _METRIC_WORDS.get(metric, metric)
    if metric.endswith("-usd"):
        return f"USD {_number(value)} {words.replace('USD ', '')}"
    return f"{_number(value)} {words}"


def _band_words(band: Band, metric: str) -> str:
    if band.exact:
        return _amount(band.low, metric)
    if band.high is None:
        return f"more than {_amount(band.low, metric)}"
    return f"{_number(band.low)} to {_amount(band.high, metric)}"


def judge_threshold(value: float, metric: str, band: Band | None) -> tuple[Outcome, str]:
    """A licence threshold ("more than N") against the context's number or band."""
    if band is None:
        return Outcome.CANNOT_TELL, f"the context does not give {_METRIC_WORDS.get(metric, metric)}"
    if band.high is not None and band.high <= value:
        return Outcome.DOES_NOT_APPLY, f"below {_amount(value, metric)}"
    if band.low > value:
        return Outcome.APPLIES, f"above {_amount(value, metric)}"
    return Outcome.CANNOT_TELL, f"the context's band ({_band_words(band, metric)}) spans the threshold"


def judge_territory(code: str, context: DeploymentContext, rules: AnswerRules, *,
                    establishment_only: bool = False) -> tuple[Outcome, str, tuple[str, ...]]:
    """A territory a licence excludes, against where the company is established and (unless the clause binds
    the company's establishment only) where its users are."""
    covered = rules.members(code)
    name = rules.regions[code].name if code in rules.regions else code
    the = "the " if code in rules.regions else ""

    def expand(codes: Iterable[str]) -> set[str]:
        return set().union(*(rules.members(item) for item in codes)) if codes else set()

    established = expand(context.established_in)
    users = expand(item for item in context.user_regions if item != "worldwide")
    if established & covered:
        return Outcome.APPLIES, f"company established in {the}{name}", ("established_in",)
    if establishment_only:
        if context.established_in:
            return (Outcome.DOES_NOT_APPLY, f"company not established in {the}{name} (the clause does not bind "
                    "where the users are)", ())
        return Outcome.CANNOT_TELL, "the context does not say where the company is established", ("established_in",)
    if "worldwide" in context.user_regions or users & covered:
        return Outcome.APPLIES, f"users in {the}{name}", ("user_regions",)
    if context.established_in and context.user_regions:
        return Outcome.DOES_NOT_APPLY, f"company not established in {the}{name}, and no users there", ()
    missing = tuple(key for key, given in (("established_in", context.established_in),
                                           ("user_regions", context.user_regions)) if not given)
    if context.established_in:
        return Outcome.CANNOT_TELL, f"company not established in {the}{name}; the context does not say where its users are", missing
    return Outcome.CANNOT_TELL, "the context does not say where the company is established or where its users are", missing


def _judgement(report: ModelReport, record: LicenseTerms, ancestor: str, kind: str, term: str,
               outcome: Outcome, reason: str, keys: tuple[str, ...], *, restricts: bool, field: str,
               source: Source | None = None) -> Judgement:
    return Judgement(
        model=report.key, license_key=record.key, license_name=record.name, ancestor=ancestor, kind=kind, term=term,
        outcome=outcome, reason=reason, deciding_keys=keys if outcome is Outcome.CANNOT_TELL else (),
        restricts=restricts, confidence=record.field_confidence(field), source=source,
    )


def judge_model(report: ModelReport, knowledge: Knowledge, rules: AnswerRules,
                context: DeploymentContext) -> tuple[Judgement, ...]:
    """Every condition and obligation of every licence binding the model, judged against the context."""
    judged: list[Judgement] = []
    for binding in bindings(report.lineage, report.licenses, knowledge):
        record, ancestor = binding.record, binding.ancestor
        notice = rules.notices.get(record.key)

        def add(kind, term, outcome, reason, keys=(), *, restricts=False, field=None, source=None):
            judged.append(_judgement(report, record, ancestor, kind, term, outcome, reason, keys,
                                     restricts=restricts, field=field or kind, source=source))

        if record.commercial_use is CommercialUse.NON_COMMERCIAL:
            if context.commercial is None:
                add("commercial-use", "research or evaluation use only", Outcome.CANNOT_TELL,
                    "the context does not say whether use is commercial", ("commercial",), restricts=True,
                    field="commercial_use")
            elif context.commercial:
                add("commercial-use", "research or evaluation use only", Outcome.APPLIES, "the use is commercial",
                    restricts=True, field="commercial_use")
            else:
                add("commercial-use", "research or evaluation use only", Outcome.DOES_NOT_APPLY,
                    "research or evaluation use only", restricts=True, field="commercial_use")
        triggers = notice is not None and notice.above_thresholds
        for threshold in record.thresholds:
            key = _METRIC_KEYS.get(threshold.metric)
            band = getattr(context, key) if key else None
            outcome, reason = judge_threshold(threshold.value, threshold.metric, band)
            add("threshold", threshold.consequence or f"more than {_amount(threshold.value, threshold.metric)}",
                outcome, reason, (key,) if key else (), restricts=not triggers, field="thresholds")
        for code in record.territory_exclusions:
            name = rules.regions[code].name if code in rules.regions else code
            outcome, reason, keys = judge_territory(code, context, rules)
            add("territory", f"the licence is not granted in {name}", outcome, reason, keys, restricts=True,
                field="territory_exclusions")
        clause = rules.territory_clauses.get(record.key)
        if clause is not None and record.territory_note:
            # Kept for this model by the licence record's scope, or kept because its scope could not be decided.
            for code in clause.territories:
                outcome, reason, keys = judge_territory(code, context, rules,
                                                        establishment_only=clause.establishment_only)
                if "territory_note" in binding.undecided and outcome is Outcome.APPLIES:
                    outcome, reason, keys = (Outcome.CANNOT_TELL, f"{reason}, but no card in the ancestry says "
                                             "whether the model is one the clause names", ())
                add("territory", clause.text, outcome, reason, keys, restricts=True, field="territory_note",
                    source=clause.sources[0] if clause.sources else None)
        if record.registration_required:
            if context.commercial is None:
                outcome, reason = Outcome.CANNOT_TELL, "the context does not say whether use is commercial"
            elif context.commercial:
                outcome, reason = Outcome.APPLIES, "the use is commercial"
            else:
                outcome, reason = Outcome.DOES_NOT_APPLY, "research or evaluation use only"
            add("registration", "register with or apply to the licensor before commercial use", outcome, reason,
                ("commercial",), field="registration_required")
        for duty in obligations_of(record, ancestor):
            if duty.kind == "attribution" and notice is not None:
                continue  # judged below with the exact text
            kind = "licence-copy" if duty.kind == "notice" else duty.kind
            modes = rules.duties[kind].modes if kind in rules.duties else _DISTRIBUTION
            outcome, reason = _mode_outcome(modes, context)
            # The confidence travels as data; the text's own "[unconfirmed]" mark would say it twice.
            add(kind, duty.text.removesuffix(" [unconfirmed]"), outcome, reason, ("use",),
                field=_FIELD_OF.get(duty.kind, duty.kind))
        if notice is not None:
            outcome, reason = _mode_outcome(notice.modes, context)
            keys: tuple[str, ...] = ("use",)
            if notice.above_thresholds and outcome is not Outcome.DOES_NOT_APPLY:
                outcome, reason, keys = _above_any(record, context, outcome, reason)
            add(notice.kind, f"{notice.how} Text: \u201c{notice.text}\u201d", outcome, reason, keys,
                field="attribution", source=notice.sources[0] if notice.sources else None)
    for record in report.lineage.nodes:
        if record.card.eu_disallowed:
            outcome, reason, keys = judge_territory("EU", context, rules)
            judged.append(Judgement(report.key, "", "", record.repo_id, "territory",
                                    "the repository refuses access from the European Union", outcome, reason,
                                    keys if outcome is Outcome.CANNOT_TELL else (), restricts=True))
    return tuple(judged)


_FIELD_OF = {"use-policy": "use_policy_flow_down", "notice": "derivatives_must_carry", "output-training": "output_training"}


def _above_any(record: LicenseTerms, context: DeploymentContext, outcome: Outcome, reason: str):
    """A duty due above any of the licence's thresholds (Kimi K2's display duty), and due under the uses."""
    results = []
    for threshold in record.thresholds:
        key = _METRIC_KEYS.get(threshold.metric)
        results.append((judge_threshold(threshold.value, threshold.metric, getattr(context, key) if key else None),
                        key))
    above = [text for (result, text), _ in results if result is Outcome.APPLIES]
    if above:
        return outcome, f"{reason}; {' and '.join(above)}", ("use",)
    unknown = tuple(key for (result, _), key in results if result is Outcome.CANNOT_TELL and key)
    if unknown:
        return Outcome.CANNOT_TELL, "; ".join(text for (result, text), _ in results if result is Outcome.CANNOT_TELL), unknown
    return Outcome.DOES_NOT_APPLY, " and ".join(text for (_, text), _ in results), ()


def short_list_name(name: str) -> str:
    """A restricted-party list's name short enough for a table cell: the name before its bracketed note, without
    'Section' or a trailing 'list' ('DoD Section 1260H list (...)' is 'DoD 1260H'); a name still long gives way
    to its first word and its bracketed acronym ('OFAC Non-SDN ... (NS-CMIC) List' is 'OFAC NS-CMIC')."""
    head, _, note = name.partition(" (")
    words = [word for word in head.split() if word.lower() != "section"]
    if len(words) > 1 and words[-1] == "list":
        words.pop()
    short = " ".join(words) or name.strip()
    acronym = note.split(")")[0]
    if len(short) > 16 and acronym and " " not in acronym and acronym.upper() == acronym:
        short = f"{words[0]} {acronym}"
    return short


def _listed(report: ModelReport) -> tuple[tuple[str, ...], tuple[ListedParty, ...]]:
    """The ancestry's publishers on a restricted-party list ('Organisation (list)'), and every listing that
    reaches the model: the publishers' own, then their parents' (LS144 carries the parent and the list)."""
    names = {}
    parties: dict[ListedParty, None] = {}
    for origin in report.origins.values():
        for listing in origin.listings:
            # The registry's organisation names carry notes in brackets and after semicolons: the name only.
            organization = (origin.organization or origin.namespace).split(" (")[0].split(";")[0].strip()
            names.setdefault(f"{organization} ({listing.list_name})", None)
            parties.setdefault(ListedParty(organization, listing.list_name, short_list_name(listing.list_name)), None)
    own = sorted(parties, key=lambda item: (item.organization, item.list_name))
    parents: dict[ListedParty, None] = {}
    for finding in report.findings:
        if finding.rule_id != "LS144":
            continue
        evidence = dict(finding.evidence)
        origin = report.origins.get(finding.ancestor)
        publisher = (origin.organization or origin.namespace) if origin is not None else finding.ancestor
        list_name = evidence.get("list") or "a restricted-party list"
        parents.setdefault(ListedParty(evidence.get("parent") or "the parent company", list_name,
                                       short_list_name(list_name), publisher), None)
    return tuple(sorted(names)), (*own, *sorted(parents, key=lambda item: (item.organization, item.list_name)))


def decide(report: ModelReport, judgements: Sequence[Judgement]) -> Decision:
    """Blocked by a failing finding; needs review for what a person must look at; else OK, with or without duties."""
    listed, parties = _listed(report)
    failing = [finding for finding in report.findings if finding.fails]
    if failing:
        ids = tuple(dict.fromkeys(finding.rule_id for finding in failing))
        reason = "; ".join(f"{rule_id} ({rule(rule_id).title.lower()})" for rule_id in ids)
        return Decision(report.key, DecisionKind.BLOCKED, f"fails {reason}", ids, listed, parties)
    review: list[str] = []
    rules: list[str] = []
    for finding in report.findings:
        if finding.waiver is not None:
            review.append(f"{finding.rule_id} is waived: {finding.waiver.reason}")
            rules.append(finding.rule_id)
    for item in report.lineage.unresolved:
        review.append(f"{item.repo_id} could not be read ({item.reason.value})")
    terms = [finding for finding in report.findings if finding.rule_id == "LS160"]
    for finding in terms:  # a hosted API: no model licence, the provider's terms of service instead
        review.append(f"the provider's terms of service govern ({dict(finding.evidence).get('terms') or 'no link on record'})")
        rules.append(finding.rule_id)
    if report.effective.commercial_use is CommercialUse.UNKNOWN and not report.lineage.unresolved and not terms:
        review.append("a licence in the ancestry could not be identified")
    for judgement in judgements:
        if judgement.restricts and judgement.outcome is Outcome.APPLIES:
            review.append(f"{judgement.license_name or judgement.ancestor}: {judgement.term} ({judgement.reason})")
        elif judgement.restricts and judgement.outcome is Outcome.CANNOT_TELL:
            keys = ", ".join(judgement.deciding_keys)
            review.append(f"cannot tell whether {_first_sentence(judgement.term)} applies"
                          + (f" (set {keys} in the context)" if keys else ""))
    if listed:
        review.append(f"publisher on a restricted-party list: {', '.join(listed)}")
    if review:
        return Decision(report.key, DecisionKind.NEEDS_REVIEW, "; ".join(dict.fromkeys(review)),
                        tuple(dict.fromkeys(rules)), listed, parties)
    duties = [item for item in judgements if not item.restricts and item.outcome is not Outcome.DOES_NOT_APPLY]
    if duties:
        due = sum(1 for item in duties if item.outcome is Outcome.APPLIES)
        maybe = len(duties) - due
        parts = [f"{due} obligation{'s apply' if due != 1 else ' applies'}"] if due else []
        if maybe:
            parts.append(f"{maybe} {'more ' if due else ''}may apply, depending on facts the context does not give")
        return Decision(report.key, DecisionKind.OK_WITH_OBLIGATIONS, "nothing fails; " + "; ".join(parts), (),
                        listed, parties)
    return Decision(report.key, DecisionKind.OK, "no failing finding, condition or obligation applies", (), listed,
                    parties)


def _first_sentence(text: str) -> str:
    head = text.split(": ", 1)[0] if len(text) > 80 else text
    return head.rstrip(".").lower()


def project_obligations(reports: Sequence[ModelReport], judgements: Sequence[Judgement],
                        rules: AnswerRules) -> tuple[ProjectObligation, ...]:
    """The duties of the project, each once with every model and licence it comes from; those that do not
    apply under the context are left out."""
    grouped: dict[tuple[str, str], dict] = {}
    for judgement in judgements:
        if (judgement.restricts or judgement.kind == "threshold" or judgement.outcome is Outcome.DOES_NOT_APPLY
                or not judgement.license_key):
            continue
        notice: Notice | None = rules.notices.get(judgement.license_key)
        exact = notice.text if notice is not None and judgement.kind == notice.kind else None
        key = (judgement.kind, exact or judgement.term)
        entry = grouped.setdefault(key, {"judgements": [], "notice": notice if exact else None})
        entry["judgements"].append(judgement)
    obligations = []
    for (kind, text), entry in grouped.items():
        items: list[Judgement] = entry["judgements"]
        notice = entry["notice"]
        applies = [item for item in items if item.outcome is Outcome.APPLIES]
        chosen = applies[0] if applies else items[0]
        obligations.append(ProjectObligation(
            kind=kind,
            text=notice.how if notice else chosen.term,
            outcome=chosen.outcome,
            reason=chosen.reason,
            models=tuple(sorted({item.model for item in items})),
            licenses=tuple(sorted({item.license_key for item in items})),
            ancestors=tuple(sorted({item.ancestor for item in items})),
            notice_text=notice.text if notice else None,
            source=notice.sources[0] if notice and notice.sources else None,
            confidence=min((item.confidence for item in items), key=_CONFIDENCE_ORDER.index),
        ))
    order = {"display": 0, "notice-file": 1, "registration": 2, "use-policy": 3, "licence-copy": 4, "naming": 5}
    return tuple(sorted(obligations, key=lambda item: (item.outcome is not Outcome.APPLIES,
                                                       order.get(item.kind, 9), item.text)))


_CONFIDENCE_ORDER = ["unconfirmed", "secondary", "primary"]


def remedies_for(report: ModelReport, knowledge: Knowledge, rules: AnswerRules) -> tuple[Remedy, ...]:
    """What a user can do about each failing or waived finding of the model (from rules/, with sources)."""
    found: list[Remedy] = []
    for finding in report.findings:
        if not finding.fails and finding.waiver is None and finding.rule_id != "LS100":
            continue
        advice = rules.remedies.get(finding.rule_id)
        if advice is not None:
            sources = advice.sources
            ancestor_license = _license_of(report, finding.ancestor, knowledge)
            if finding.rule_id == "LS112" and ancestor_license is not None:
                sources = (*ancestor_license.sources[:1], *sources)
            found.append(Remedy(report.key, finding.rule_id, finding.ancestor, advice.text, sources=sources))
        if finding.rule_id == "LS120":
            found.extend(_non_commercial_options(report, finding, knowledge, rules))
        if finding.fails:
            found.append(Remedy(
                report.key, finding.rule_id, finding.ancestor,
                "If the risk is accepted after review, record a waiver with the reason, the approver and an expiry "
                "date; the finding stays in every report, marked as waived.",
                command=f'licscan waive {finding.rule_id} {report.key} --reason "..." --expires YYYY-MM-DD',
            ))
    return tuple(found)


def _license_of(report: ModelReport, node: str, knowledge: Knowledge) -> LicenseTerms | None:
    node_license = report.licenses.get(node)
    return knowledge.licenses.get(node_license.key) if node_license and node_license.key else None


def _non_commercial_options(report: ModelReport, finding: Finding, knowledge: Knowledge,
                            rules: AnswerRules) -> list[Remedy]:
    options = []
    keys = [binding.record.key for binding in bindings(report.lineage, report.licenses, knowledge)
            if binding.record.commercial_use is CommercialUse.NON_COMMERCIAL]
    for key in keys:
        path = rules.commercial_paths.get(key)
        if path is not None:
            options.append(Remedy(report.key, finding.rule_id, finding.ancestor, path.text, sources=path.sources))
        seen = set()
        for node in report.lineage.nodes:
            for advice in rules.alternatives_for(node.repo_id, key):
                if advice.key in seen:
                    continue
                seen.add(advice.key)
                options.append(Remedy(
                    report.key, finding.rule_id, finding.ancestor,
                    f"Suggestion: {advice.text} Consider {', '.join(advice.models)}.",
                    suggestion=True, sources=advice.sources,
                ))
    return options


def model_answers(report: ModelReport, knowledge: Knowledge, rules: AnswerRules, context: DeploymentContext,
                  *, context_required: bool = False) -> tuple[tuple[Judgement, ...], Decision, tuple[Remedy, ...]]:
    """One policy-applied model's judgements, decision and remedies (what answer() gathers per model)."""
    judged = judge_model(report, knowledge, rules, context)
    decision = decide(report, judged)
    if context_required and not context.given and decision.kind is not DecisionKind.BLOCKED:
        decision = Decision(report.key, DecisionKind.NEEDS_REVIEW,
                            "the policy requires a deployment context and the configuration gives none; "
                            + decision.reason, decision.rules, decision.entity_listed, decision.listings)
    return tuple(judged), decision, remedies_for(report, knowledge, rules)


def answer(reports: Sequence[ModelReport], knowledge: Knowledge, rules: AnswerRules,
           context: DeploymentContext | None, *, context_required: bool = False,
           per_model: Sequence[tuple[tuple[Judgement, ...], Decision, tuple[Remedy, ...]]] | None = None) -> Answers:
    """Judgements, decisions, project obligations and remedies of evaluated (policy-applied) model reports.
    per_model, when given, holds each report's model_answers already (kept from an earlier scan)."""
    context = context or DeploymentContext()
    if per_model is None:
        per_model = [model_answers(report, knowledge, rules, context, context_required=context_required)
                     for report in reports]
    judgements = [item for judged, _, _ in per_model for item in judged]
    return Answers(
        context=context,
        judgements=tuple(judgements),
        decisions=tuple(decision for _, decision, _ in per_model),
        obligations=project_obligations(reports, judgements, rules),
        remedies=tuple(item for _, _, remedies in per_model for item in remedies),
        context_required=context_required,
    )
