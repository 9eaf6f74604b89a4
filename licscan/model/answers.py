"""The records of answers: the deployment context, judgements, decisions, project obligations and remedies."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cached_property

from licscan.model.findings import Source


class UseMode(str, enum.Enum):
    """How a company uses a model; several may hold at once."""

    INTERNAL = "internal"  # used inside the company only
    SAAS = "saas"  # offered to others as a hosted service or API
    SHIPPED = "shipped"  # shipped inside an application or a device
    WEIGHTS_REDISTRIBUTED = "weights-redistributed"  # the weights themselves are handed on
    DERIVATIVE_PUBLISHED = "derivative-published"  # a model derived from it is published


@dataclass(frozen=True)
class Band:
    """A number known exactly (low == high) or as a band; high None means "at least low"."""

    low: float
    high: float | None

    @property
    def exact(self) -> bool:
        return self.high is not None and self.low == self.high


@dataclass(frozen=True)
class DeploymentContext:
    """Who the company is and how it uses models: every field optional; None or () is "not said"."""

    established_in: tuple[str, ...] = ()  # ISO 3166-1 alpha-2 codes of the company's establishments
    user_regions: tuple[str, ...] = ()  # ISO 3166-1 alpha-2 codes or "EU" where its users are
    monthly_active_users: Band | None = None
    annual_revenue_usd: Band | None = None
    monthly_revenue_usd: Band | None = None
    use_modes: tuple[UseMode, ...] | None = None  # None: not said; () cannot be written
    commercial: bool | None = None  # True commercial, False research or evaluation only
    declared_in: str | None = None  # the configuration file it comes from

    @property
    def given(self) -> bool:
        """Whether the configuration says anything about the deployment at all."""
        return any((self.established_in, self.user_regions, self.monthly_active_users, self.annual_revenue_usd,
                    self.monthly_revenue_usd, self.use_modes is not None, self.commercial is not None))


class Outcome(str, enum.Enum):
    APPLIES = "applies"
    DOES_NOT_APPLY = "does-not-apply"
    CANNOT_TELL = "cannot-tell"


@dataclass(frozen=True)
class Judgement:
    """One condition or obligation of a binding licence, judged against the deployment context."""

    model: str
    license_key: str
    license_name: str
    ancestor: str  # the nearest node of the lineage the licence comes from
    kind: str  # "threshold", "territory", "registration", "commercial-use", "attribution", "naming", ...
    term: str  # the term in plain words
    outcome: Outcome
    reason: str  # why, in plain words ("below 700 million monthly active users")
    deciding_keys: tuple[str, ...] = ()  # the context keys that decide it (what to set when it cannot tell)
    restricts: bool = False  # True when, applying, it limits the grant (a threshold, a territory) not a duty
    confidence: str = "primary"
    source: Source | None = None  # for a required notice: where its exact text comes from


class DecisionKind(str, enum.Enum):
    BLOCKED = "blocked"
    NEEDS_REVIEW = "needs-review"
    OK_WITH_OBLIGATIONS = "ok-with-obligations"
    OK = "ok"

    @property
    def label(self) -> str:
        return _DECISION_LABELS[self]


_DECISION_LABELS = {
    DecisionKind.BLOCKED: "Blocked",
    DecisionKind.NEEDS_REVIEW: "Needs review",
    DecisionKind.OK_WITH_OBLIGATIONS: "OK with obligations",
    DecisionKind.OK: "OK",
}


@dataclass(frozen=True)
class ListedParty:
    """A restricted-party listing that reaches a model: of a publisher in its ancestry, or of that publisher's
    parent company (the list names the parent, not the publisher)."""

    organization: str  # the organisation the list names (the parent, for a parent's listing)
    list_name: str  # the list's full name, as rules/ records it
    short_list: str  # the list's short name, for a table cell ("DoD 1260H")
    via_parent_of: str | None = None  # the publisher whose parent is listed; None: the publisher itself is

    @property
    def words(self) -> str:
        """The listing in a few words: 'listed: BIS Entity List', 'parent listed: DoD 1260H'."""
        return f"{'parent listed' if self.via_parent_of else 'listed'}: {self.short_list}"

    @property
    def named(self) -> str:
        """The few words with the listed organisation: 'parent listed: DoD 1260H (Alibaba Group Holding Limited)'."""
        return f"{self.words} ({self.organization})"


@dataclass(frozen=True)
class Decision:
    """What the company may do with one model, in plain words, and why."""

    model: str
    kind: DecisionKind
    reason: str
    rules: tuple[str, ...] = ()  # the rule ids behind a blocked or review decision
    entity_listed: tuple[str, ...] = ()  # organisations of the ancestry on a restricted-party list
    listings: tuple[ListedParty, ...] = ()  # those listings and the parents' listings, publishers' first

    @property
    def listing_words(self) -> str:
        """The listings in a few words for a summary table ("none found" when there is none)."""
        return "; ".join(dict.fromkeys(item.words for item in self.listings)) or "none found"

    @property
    def listing_names(self) -> str:
        """The listings with the organisations they name, for a table with room for them."""
        return "; ".join(dict.fromkeys(item.named for item in self.listings)) or "none found"


@dataclass(frozen=True)
class ProjectObligation:
    """A duty of the project, once however many models and ancestors it comes from."""

    kind: str  # "notice", "display", "naming", "use-policy", "licence-copy", "registration"
    text: str  # what to do, in plain words
    outcome: Outcome  # applies, or cannot tell (those that do not apply are left out)
    reason: str
    models: tuple[str, ...]
    licenses: tuple[str, ...]  # licence keys
    ancestors: tuple[str, ...]
    notice_text: str | None = None  # the exact text a licence requires, verbatim from rules/
    source: Source | None = None  # where the exact text comes from
    confidence: str = "primary"


@dataclass(frozen=True)
class Remedy:
    """What a user can do about a failing or review finding, from rules/ with its source."""

    model: str
    rule_id: str
    ancestor: str
    text: str
    suggestion: bool = False  # an option to consider (an alternative model), not a statement of fact
    sources: tuple[Source, ...] = ()
    command: str | None = None  # a command that does it (the waiver)


@dataclass(frozen=True)
class Answers:
    """Evaluation's answers for a scan: every judgement, one decision per model, the project's duties."""

    context: DeploymentContext
    judgements: tuple[Judgement, ...] = ()
    decisions: tuple[Decision, ...] = ()
    obligations: tuple[ProjectObligation, ...] = ()
    remedies: tuple[Remedy, ...] = ()
    context_required: bool = False  # the policy asks for a context

    # Looked up once per model by every renderer: indexed on first use, so a report stays linear in models.
    @cached_property
    def _by_model(self) -> dict[str, tuple[Decision | None, list[Judgement], list[Remedy]]]:
        index: dict[str, tuple[Decision | None, list[Judgement], list[Remedy]]] = {}
        for decision in self.decisions:
            index.setdefault(decision.model, (decision, [], []))
        for judgement in self.judgements:
            index.setdefault(judgement.model, (None, [], []))[1].append(judgement)
        for remedy in self.remedies:
            index.setdefault(remedy.model, (None, [], []))[2].append(remedy)
        return index

    def decision(self, model: str) -> Decision | None:
        return self._by_model.get(model, (None, [], []))[0]

    def judgements_of(self, model: str) -> tuple[Judgement, ...]:
        return tuple(self._by_model.get(model, (None, [], []))[1])

    def remedies_of(self, model: str) -> tuple[Remedy, ...]:
        return tuple(self._by_model.get(model, (None, [], []))[2])
