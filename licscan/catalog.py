"""The catalogue of licscan's rules: stable ids, titles, rationale and help (shared by every stage)."""

from __future__ import annotations

from licscan.model import FindingKind, Rule, Severity

HELP_BASE = "https://github.com/licscan/licscan/blob/main/README.md#rule-"

RULES: tuple[Rule, ...] = (
    Rule(
        "LS100", "unresolved-ancestor", FindingKind.UNRESOLVED, Severity.HIGH,
        "A model or one of its ancestors could not be resolved",
        "Terms that cannot be read cannot be cleared: an ancestor that is missing, gated, unreachable or "
        "rate limited may carry a licence that binds the model.",
        "Check the reason. For 'rate-limited', 'network-error' or 'offline', run again (set HF_TOKEN for a larger "
        "rate limit, or use --mirror). For 'gated', accept the licence on the Hub and set HF_TOKEN. For 'not-found' "
        "or 'invalid-id', the card names a base model that does not exist: ask the publisher, or record the real "
        "base in your configuration.",
    ),
    Rule(
        "LS101", "metadata-problem", FindingKind.UNRESOLVED, Severity.LOW,
        "A model card's metadata is malformed or unusual",
        "Malformed front matter, a misspelt key or a base_model of the wrong type can hide lineage or licence "
        "information that the Hub does not show either.",
        "Read the card's README.md front matter; licscan used what it could parse and says what it skipped.",
    ),
    Rule(
        "LS110", "license-missing", FindingKind.LICENSE_MISSING, Severity.LOW,
        "A model declares no licence",
        "A derivative without a licence field is still bound by its base model's terms; licscan applies the "
        "ancestors' terms, but redistributing it without a licence statement is itself a gap.",
        "The ancestors' licences apply. If you publish this model, declare the inherited licence in its card.",
    ),
    Rule(
        "LS111", "license-unknown", FindingKind.LICENSE_UNKNOWN, Severity.HIGH,
        "A licence in the ancestry cannot be identified",
        "An unidentified licence may forbid commercial use; unknown is never reported as clear.",
        "Read the model's LICENSE file. If it is a licence licscan does not know, add a record to a rules "
        "directory of your own (rules_dirs in the configuration) or waive the finding with a reason.",
    ),
    Rule(
        "LS112", "license-relabel", FindingKind.LICENSE_RELABEL, Severity.HIGH,
        "A model declares a more permissive licence than its ancestor's",
        "A derivative does not escape its base model's terms by declaring a different licence: the ancestor's "
        "licence still binds anyone who uses the derivative.",
        "Treat the model as bound by the ancestor's licence shown in the finding, whatever its card says.",
    ),
    Rule(
        "LS120", "non-commercial", FindingKind.NON_COMMERCIAL, Severity.HIGH,
        "Non-commercial or research-only terms bind the model",
        "A licence in the ancestry forbids commercial or production use; it binds every derivative.",
        "Do not ship the model in a commercial product unless the licensor grants a commercial licence.",
    ),
    Rule(
        "LS121", "commercial-condition", FindingKind.COMMERCIAL_CONDITION, Severity.MEDIUM,
        "Commercial use is allowed only under conditions",
        "Thresholds (monthly active users, revenue), registration or application duties limit commercial use.",
        "Check that your product stays within the thresholds shown and complete any registration required.",
    ),
    Rule(
        "LS122", "territory", FindingKind.TERRITORY, Severity.MEDIUM,
        "A licence excludes territories",
        "Some licences are not granted in, or gate access from, some territories (for example the EU).",
        "Check where the model will be used and by whom against the excluded territories shown.",
    ),
    Rule(
        "LS130", "obligation", FindingKind.OBLIGATION, Severity.LOW,
        "Attribution, naming or flow-down duties apply",
        "Licences in the ancestry require notices, display text, model naming or passing use policies on.",
        "Carry out the duties listed for the model (notice files, 'Built with ...' display, naming, use policy).",
    ),
    Rule(
        "LS140", "origin-unknown", FindingKind.ORIGIN, Severity.INFO,
        "The origin of a model in the ancestry is unknown",
        "Procurement and export-control reviews ask who publishes each model; a namespace that licscan's "
        "origin registry does not know (an individual's account, say) has no known origin.",
        "Find out who operates the namespace if your review needs it; licscan does not guess.",
    ),
    Rule(
        "LS141", "entity-list", FindingKind.ENTITY_LIST, Severity.HIGH,
        "A publisher in the ancestry is on a restricted-party list",
        "Export-control and sanctions lists (BIS Entity List, OFAC, DoD 1260H) can restrict dealings with the "
        "publisher; this is a fact for your compliance review, the policy decides whether it fails.",
        "Take the finding to your export-control or compliance reviewer with the citation shown.",
    ),
)

_BY_ID = {rule.id: rule for rule in RULES}
_BY_NAME = {rule.name: rule for rule in RULES}


def rule(rule_id_or_name: str) -> Rule:
    """The rule with this id (LS120) or name (non-commercial); KeyError when there is none."""
    key = rule_id_or_name.strip()
    return _BY_ID.get(key.upper()) or _BY_NAME[key.lower()]


def help_uri(rule_id: str) -> str:
    return f"{HELP_BASE}{rule_id.lower()}"
