"""SPDX 2.3 SBOM (JSON) through spdx-tools: each model and ancestor a package, lineage as relationships."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re

from spdx_tools.common.spdx_licensing import spdx_licensing
from spdx_tools.spdx.model import (
    Actor,
    ActorType,
    CreationInfo,
    Document,
    ExternalPackageRef,
    ExternalPackageRefCategory,
    ExtractedLicensingInfo,
    Package,
    PackagePurpose,
    Relationship,
    RelationshipType,
    SpdxNoAssertion,
)
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

from licscan.model import ModelRecord, NodeLicense, Origin, Relation, ScanResult, Unresolved, UnresolvedReason

_NOT_ID = re.compile(r"[^A-Za-z0-9.-]+")
_PROJECT_REF = "SPDXRef-Project"


def _spdx_ref(repo_id: str) -> str:
    return "SPDXRef-Model-" + _NOT_ID.sub("-", repo_id).strip("-")


def _purl(repo_id: str, revision: str | None) -> str:
    return f"pkg:huggingface/{repo_id}" + (f"@{revision}" if revision else "")


def _package(record: ModelRecord, node_license: NodeLicense, origin: Origin) -> Package:
    local = record.source == "local"
    declared = spdx_licensing.parse(node_license.spdx_id) if node_license.key and node_license.spdx_id else SpdxNoAssertion()
    package = Package(
        spdx_id=_spdx_ref(record.repo_id),
        name=record.repo_id,
        download_location=SpdxNoAssertion() if local else f"https://huggingface.co/{record.repo_id}",
        version=record.revision,
        supplier=Actor(ActorType.ORGANIZATION, origin.organization) if origin.organization else SpdxNoAssertion(),
        files_analyzed=False,
        license_declared=declared,
        license_concluded=SpdxNoAssertion(),
        copyright_text=SpdxNoAssertion(),
        primary_package_purpose=PackagePurpose.OTHER,
        comment=f"machine-learning model; card licence: {node_license.declared or 'none'}"
        + (f" ({node_license.license_name})" if node_license.license_name else "")
        + (f"; origin country: {origin.country}" if origin.country else ""),
    )
    if not local:
        package.external_references = [
            ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", _purl(record.repo_id, record.revision))
        ]
    return package


def _unresolved_package(item: Unresolved) -> Package:
    """A model (or ancestor) named but not resolved: in the inventory all the same, with why, no licence asserted."""
    return Package(
        spdx_id=_spdx_ref(item.repo_id),
        name=item.repo_id,
        download_location=f"https://huggingface.co/{item.repo_id}",
        files_analyzed=False,
        supplier=SpdxNoAssertion(),
        license_declared=SpdxNoAssertion(),
        license_concluded=SpdxNoAssertion(),
        copyright_text=SpdxNoAssertion(),
        primary_package_purpose=PackagePurpose.OTHER,
        comment=f"machine-learning model; unresolved ({item.reason.value}): {item.detail or 'no detail'}; "
        "its licence and origin are unknown",
        external_references=[ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", _purl(item.repo_id, None))],
    )


class SpdxFormat:
    name = "spdx"
    suffix = ".spdx.json"

    def render(self, result: ScanResult) -> str:
        packages: dict[str, Package] = {}
        relationships: set[tuple[str, str, RelationshipType]] = set()
        used_refs: dict[str, str] = {}
        for report in result.models:
            for record in report.lineage.nodes:
                if record.repo_id not in packages:
                    packages[record.repo_id] = _package(record, report.licenses[record.repo_id], report.origins[record.repo_id])
                node_license = report.licenses[record.repo_id]
                if node_license.key and node_license.spdx_id and node_license.spdx_id.startswith("LicenseRef-"):
                    used_refs[node_license.spdx_id] = node_license.key
            root = report.lineage.nodes[0].repo_id if report.lineage.nodes else report.lineage.root
            relationships.add((_PROJECT_REF, root, RelationshipType.DEPENDS_ON))
            for edge in report.lineage.edges:
                kind = RelationshipType.VARIANT_OF if edge.relation is Relation.QUANTIZED else RelationshipType.DESCENDANT_OF
                relationships.add((edge.child, edge.parent, kind))
        for report in result.models:
            # After every resolved node: an id unresolved in one lineage (a cycle's way back) may be a node.
            for item in report.lineage.unresolved:
                if item.repo_id not in packages:
                    packages[item.repo_id] = _unresolved_package(item)
                if item.referenced_by and item.reason is not UnresolvedReason.CYCLE:
                    relationships.add((item.referenced_by, item.repo_id, RelationshipType.DESCENDANT_OF))
        # The document describes the project, which depends on its models: valid with any number of them.
        project = Package(
            spdx_id=_PROJECT_REF,
            name=result.project,
            download_location=SpdxNoAssertion(),
            files_analyzed=False,
            license_concluded=SpdxNoAssertion(),
            license_declared=SpdxNoAssertion(),
            copyright_text=SpdxNoAssertion(),
            primary_package_purpose=PackagePurpose.APPLICATION,
            comment=f"the scanned project; licscan verdict: {result.verdict.value} (policy {result.policy})",
        )
        extracted = []
        for license_ref, key in sorted(used_refs.items()):
            record = result.license_records.get(key)
            name = record.name if record else key
            where = "; ".join(f"{s.citation} ({s.date})" for s in record.sources) if record else ""
            extracted.append(
                ExtractedLicensingInfo(
                    license_id=license_ref,
                    extracted_text=f"{name}. licscan does not reproduce licence texts; see: {where or 'the model card'}",
                    license_name=name,
                )
            )
        # The namespace must be unique per document and stable per content, so it is derived from the content.
        content = json.dumps(
            [sorted(packages), sorted((a, b, c.name) for a, b, c in relationships), result.generated_at],
            sort_keys=True,
        )
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]
        created = datetime.datetime.fromisoformat(result.generated_at.replace("Z", "+00:00")).replace(tzinfo=None)
        document = Document(
            creation_info=CreationInfo(
                spdx_version="SPDX-2.3",
                spdx_id="SPDXRef-DOCUMENT",
                name=f"licscan-{result.project}",
                document_namespace=f"https://spdx.org/spdxdocs/licscan-{digest}",
                creators=[Actor(ActorType.TOOL, f"licscan-{result.tool_version}")],
                created=created,
                data_license="CC0-1.0",
            ),
            packages=[project, *(packages[key] for key in sorted(packages))],
            relationships=[
                Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, _PROJECT_REF),
                *(Relationship(a if a == _PROJECT_REF else _spdx_ref(a), kind, _spdx_ref(b))
                  for a, b, kind in sorted(relationships, key=lambda item: (item[0], item[1], item[2].name))),
            ],
            extracted_licensing_info=extracted,
        )
        stream = io.StringIO()
        write_document_to_stream(document, stream, validate=True)
        return stream.getvalue() + "\n"
