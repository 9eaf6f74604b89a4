"""The licences of the datasets a lineage's cards name as training data (resolved by resolution, judged here)."""

from __future__ import annotations

from licscan.cards import normalize_repo_id
from licscan.evaluation.inheritance import commercial_class
from licscan.evaluation.knowledge import Knowledge
from licscan.evaluation.licenses import identify
from licscan.model import CommercialUse, DatasetLicense, Lineage, NodeLicense


def training_data(lineage: Lineage, knowledge: Knowledge) -> tuple[DatasetLicense, ...]:
    """One entry per (node, dataset it names): the dataset card's licence, or why it is not known."""
    by_id = {record.repo_id.lower(): record for record in lineage.datasets}
    out: list[DatasetLicense] = []
    for node in lineage.nodes:
        for named in dict.fromkeys(node.card.datasets):
            repo_id = normalize_repo_id(named) or named
            record = by_id.get(repo_id.lower())
            if record is None or record.unresolved is not None or record.card is None:
                reason = record.unresolved.value if record is not None and record.unresolved else "not-resolved"
                detail = record.detail if record is not None else "resolution did not read this dataset"
                out.append(DatasetLicense(repo_id, node.repo_id, None, unresolved=reason, detail=detail,
                                          source=record.source if record is not None else None))
                continue
            found: NodeLicense = identify(record.repo_id, record.card, knowledge,
                                          license_text=record.license_text, license_file=record.license_file)
            commercial = (commercial_class(knowledge.licenses[found.key]) if found.key else CommercialUse.UNKNOWN)
            out.append(DatasetLicense(record.repo_id, node.repo_id, found, revision=record.revision,
                                      commercial_use=commercial, source=record.source))
    return tuple(out)
