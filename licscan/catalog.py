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
        "LS102", "base-model-contradiction", FindingKind.UNRESOLVED, Severity.MEDIUM,
        "A card's base_model contradicts the model's own files",
        "The config.json a model ships records the checkpoint it was built from (_name_or_path). When that names "
        "a repo outside the card's declared ancestry, the card may hide a base whose licence binds the model. "
        "The same holds for the header of a GGUF file (general.base_model.N.* and "
        "general.source.huggingface.repository), read from its first bytes.",
        "Look at the repo named in the finding: if the model was built from it, its licence applies too. Record "
        "the real base in a rules directory of your own (lineage.yaml) so licscan walks it.",
    ),
    Rule(
        "LS103", "model-not-found", FindingKind.NOT_FOUND, Severity.HIGH,
        "The project names a model that does not exist on the Hub",
        "The Hub answered that the repo does not exist (or is private and the token in use cannot see it). "
        "That is an answer, not an outage: trying again will not change it, so the scan does not end as "
        "'could not complete' but fails on the model the project names.",
        "Check the spelling of the model id at the place shown (namespace and name, letter case aside). If the "
        "repo is private, set HF_TOKEN to a token that can read it. If the model was renamed or removed, name "
        "the model you actually use.",
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
        "LS113", "license-text-disagrees", FindingKind.LICENSE_RELABEL, Severity.HIGH,
        "The licence a card declares is not the licence text it ships or links to",
        "The licence text governs, not the slug in the metadata: licscan identifies the LICENSE file (or the "
        "text the card's license_link points to) by marker phrases from its licence records and evaluates that "
        "text. A slug that disagrees with its text is a relabel to be corrected at the source.",
        "Read the text named in the finding's evidence; the model is evaluated under it. Ask the publisher to fix "
        "the card, or waive the finding with a reason once your reviewer has read the text.",
    ),
    Rule(
        "LS114", "license-superseded", FindingKind.LICENSE_RELABEL, Severity.INFO,
        "The publisher has since replaced the licence this revision carries",
        "A repo can change licence between revisions (Yi moved to Apache-2.0 on 2024-05-30, InternLM on "
        "2025-01-15). licscan evaluates the licence of the pinned revision and says which revision that is.",
        "If you may use a later revision, pin it and scan again; otherwise the older licence binds.",
    ),
    Rule(
        "LS115", "release-unconfirmed", FindingKind.LICENSE_UNKNOWN, Severity.INFO,
        "licscan has not confirmed the licence of this model's release",
        "Publishers change licences between releases (DeepSeek-V3's first release was under the DeepSeek "
        "agreement, its later ones MIT). licscan's rules record each release's licence read in the publisher's "
        "own card, repository or licence text; for the releases listed in rules/releases.yaml no such source was "
        "found, only third-party reports, if any. The model is still evaluated under the licence its card or "
        "licence file declares.",
        "Read the licence the publisher ships with this release (its LICENSE file and card) before relying on "
        "what the card declares; record what you read in a rules directory of your own.",
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
        "LS123", "non-commercial-training-data", FindingKind.NON_COMMERCIAL, Severity.MEDIUM,
        "A model in the ancestry was trained on a dataset under non-commercial terms",
        "The training data's licence is separate from the model's: a dataset card under, say, CC-BY-NC-4.0 may "
        "limit what can be done with a model trained on it. Whether it binds the weights is a legal question; "
        "licscan reports it as the training data's licence, not the model's.",
        "Have your reviewer decide whether the dataset's terms reach your use of the model.",
    ),
    Rule(
        "LS124", "training-data-unknown", FindingKind.LICENSE_UNKNOWN, Severity.INFO,
        "The licence of a dataset a card names could not be determined",
        "A dataset that cannot be resolved, or whose card declares no licence licscan knows, may carry terms "
        "that limit models trained on it.",
        "Read the dataset's card if your review needs it; licscan does not guess.",
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
    Rule(
        "LS144", "parent-listed", FindingKind.ENTITY_LIST, Severity.INFO,
        "A publisher in the ancestry is not listed, but its parent company is",
        "A restricted-party listing names a company; the organisation behind a Hub namespace may be its subsidiary "
        "(Alibaba Cloud's Qwen team under Alibaba Group Holding Limited). Whether a list's consequences reach a "
        "subsidiary depends on the list and on your dealings: a question for your compliance reviewer, not a "
        "finding that the publisher itself is listed. The default policy reports it; the strict policy fails on it.",
        "Take the finding to your export-control, procurement or compliance reviewer with the citation shown; if "
        "the listing does not bear on your use, waive LS144 for the models concerned with the reviewer's reason.",
    ),
    Rule(
        "LS142", "training-compute", FindingKind.ORIGIN, Severity.INFO,
        "Estimated training compute, compared with the EU AI Act thresholds",
        "Where a model's parameter count (the Hub's safetensors metadata) and training tokens (its card) are "
        "known, licscan estimates training compute as 6 x N x D FLOP and compares it with 10^23 (indicative "
        "general-purpose AI criterion) and 10^25 (systemic-risk presumption). It is an estimate with its inputs, "
        "not a determination.",
        "Check the inputs shown; providers of models near a threshold should read the Commission's guidelines.",
    ),
    Rule(
        "LS143", "lineage-from-rules", FindingKind.ORIGIN, Severity.INFO,
        "A base model comes from licscan's rules, not from the card",
        "Some cards omit a base model their publisher documents elsewhere (DeepSeek's R1-Distill models name "
        "their Llama and Qwen bases in the publisher's README). licscan's rules/lineage.yaml records such edges "
        "with sources and confidence, and the walk follows them.",
        "Check the source and confidence shown; override or extend the edge in a rules directory of your own.",
    ),
    Rule(
        "LS160", "hosted-api-terms", FindingKind.SERVICE_TERMS, Severity.MEDIUM,
        "A model is used through a provider's API: its terms of service govern",
        "A model reached through a hosted API (an OpenAI-compatible base_url, a provider's SDK, a LiteLLM or "
        "OpenRouter model string) has no weights and no model licence in the project: the provider's terms of "
        "service decide what may be sent, how outputs may be used, where data goes, and who answers for end users. "
        "The provider's organisation, country and restricted-party listings are its origin.",
        "Read the provider's terms at the link shown (licscan's rules give the date they were read, or say they "
        "were not read); check the provider's origin and listings with your compliance reviewer.",
    ),
    Rule(
        "LS161", "runtime-tag", FindingKind.ORIGIN, Severity.INFO,
        "A local runtime tag is evaluated as the Hub model it packages",
        "A tag such as Ollama's `qwen2.5:7b` names a packaging of a Hub model, not a licence: licscan's rules "
        "(providers.yaml) map the tag to the model, whose whole ancestry is then evaluated. A tag the rules do not "
        "map is unresolved, never clear.",
        "Check the mapping and its confidence; record a tag licscan does not know, or correct one, in a rules "
        "directory of your own (providers.yaml, runtime_tags), or declare the Hub model under `models`.",
    ),
    Rule(
        "LS162", "api-name-not-on-hub", FindingKind.SERVICE_TERMS, Severity.LOW,
        "A name the project uses through a provider's API is not a Hub repository",
        "Providers name the models they serve in their own way (NVIDIA's API Catalog serves "
        "meta/llama3-70b-instruct); such a name looks like a Hub id and is read as one too. When the Hub answers "
        "that it has no repository of that name, the project is not using a Hub model there: the name is the "
        "provider's, and the provider's terms govern (LS160). Only the Hub's own not-found answer counts: an "
        "outage, a rate limit or a refused token leaves the model unresolved, never clear.",
        "Check that the name is meant for the provider shown. Places listed with `via: by-name` wrote the name "
        "without an API client in sight (a config default): if one of them loads weights from somewhere else, "
        "declare the model you actually load under `models`.",
    ),
    Rule(
        "LS150", "waiver-expired", FindingKind.WAIVER, Severity.HIGH,
        "A waiver in the policy has expired",
        "A waiver is a reviewed exception with an end date. After that date it no longer waives anything: the "
        "findings it covered fail again, and the expired waiver itself fails the scan, so the exception is "
        "looked at again rather than kept by habit.",
        "Review the finding the waiver covered. If the exception still holds, have it approved again and move "
        "its `expires:` date (or run `licscan waive` for a new entry); otherwise remove the waiver and fix the "
        "finding.",
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
