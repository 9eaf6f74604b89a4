"""SPDX 2.3 SBOM (JSON) through spdx-tools: each model and ancestor a package, lineage as relationships.

spdx-tools' validation grows with the square of the packages (9.4 s for 1,000 models), so a write runs licscan's
own linear checks instead (unique SPDXIDs, every relationship and LicenseRef resolving, ids well formed); the
library's full validation runs in the tests and on request (`--validate`).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re
from typing import Any

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
from licscan.reporting.sbom_ids import hub_url, idstring, license_ref, purl, split_pin, supplier_name

_PROJECT_REF = "SPDXRef-Project"
_LICENSE_REF = re.compile(r"LicenseRef-[^\s()]+")
_SPDX_REF = re.compile(r"^SPDXRef-[A-Za-z0-9.-]+$")
_VALID_LICENSE_REF = re.compile(r"^LicenseRef-[A-Za-z0-9.-]+$")


class SbomCheckError(ValueError):
    """licscan built a document its own checks refuse: a defect in licscan, named with the element."""


def _model_ref(repo_id: str) -> str:
    return "SPDXRef-Model-" + idstring(repo_id)


def _declared(spdx_id: str | None, key: str | None) -> tuple[Any, list[str]]:
    """The declared licence as spdx-tools holds it, every LicenseRef in it made a valid one; NOASSERTION when the
    expression does not parse (licscan says what it could not read rather than fail the write)."""
    if not key or not spdx_id:
        return SpdxNoAssertion(), []
    refs: list[str] = []

    def valid(match: re.Match[str]) -> str:
        refs.append(license_ref(match.group(0)))
        return refs[-1]

    expression = _LICENSE_REF.sub(valid, spdx_id)
    try:
        return spdx_licensing.parse(expression, validate=False, strict=False), refs
    except Exception:  # noqa: BLE001  (license-expression raises several kinds; any of them means "unparsable")
        return SpdxNoAssertion(), []


def _package(record: ModelRecord, node_license: NodeLicense, origin: Origin) -> tuple[Package, list[str]]:
    local = record.source == "local"
    declared, refs = _declared(node_license.spdx_id, node_license.key)
    package = Package(
        spdx_id=_model_ref(record.repo_id),
        name=record.repo_id,
        download_location=SpdxNoAssertion() if local else hub_url(record.repo_id),
        version=record.revision,
        supplier=Actor(ActorType.ORGANIZATION, supplier_name(origin.organization)) if origin.organization else SpdxNoAssertion(),
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
            ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", purl(record.repo_id, record.revision))
        ]
    return package, refs


def _unresolved_package(item: Unresolved, revision: str | None) -> Package:
    """A model (or ancestor) named but not resolved: in the inventory all the same, with why, no licence asserted."""
    return Package(
        spdx_id=_model_ref(item.repo_id),
        name=item.repo_id,
        version=revision,
        download_location=hub_url(item.repo_id),
        files_analyzed=False,
        supplier=SpdxNoAssertion(),
        license_declared=SpdxNoAssertion(),
        license_concluded=SpdxNoAssertion(),
        copyright_text=SpdxNoAssertion(),
        primary_package_purpose=PackagePurpose.OTHER,
        comment=f"machine-learning model; unresolved ({item.reason.value}): {item.detail or 'no detail'}; "
        "its licence and origin are unknown",
        external_references=[ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", purl(item.repo_id, revision))],
    )


def check(document: Document) -> None:
    """licscan's own checks on a document it built, in one pass over it: SPDXIDs well formed and unique, every
    relationship naming an element that exists, every LicenseRef a package declares defined in the document."""
    ids = {"SPDXRef-DOCUMENT"}
    for package in document.packages:
        if not _SPDX_REF.match(package.spdx_id) or package.spdx_id in ids:
            raise SbomCheckError(f"SPDX: package {package.name!r} has an invalid or repeated SPDXID {package.spdx_id!r}")
        ids.add(package.spdx_id)
    for relationship in document.relationships:
        for element in (relationship.spdx_element_id, relationship.related_spdx_element_id):
            if element not in ids:
                raise SbomCheckError(f"SPDX: a {relationship.relationship_type.name} relationship names {element!r}, "
                                     "which is no element of the document")
    defined = {info.license_id for info in document.extracted_licensing_info}
    for license_id in defined:
        if not license_id or not _VALID_LICENSE_REF.match(license_id):
            raise SbomCheckError(f"SPDX: {license_id!r} is not a valid LicenseRef")
    for package in document.packages:
        for ref in _LICENSE_REF.findall(str(package.license_declared)):
            if ref not in defined:
                raise SbomCheckError(f"SPDX: package {package.name!r} declares {ref!r}, which the document does not define")


def validate_with_library(text: str) -> list[str]:
    """spdx-tools' full validation of a written document (`--validate`; it grows with the square of the packages,
    so it never runs on a plain write); [] when it is valid."""
    import tempfile
    from pathlib import Path

    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.spdx.json"
        path.write_text(text, encoding="utf-8")
        document = parse_file(str(path))
    return [message.validation_message for message in validate_full_spdx_document(document)]


class SpdxFormat:
    name = "spdx"
    suffix = ".spdx.json"

    def render(self, result: ScanResult) -> str:
        packages: dict[str, Package] = {}
        relationships: set[tuple[str, str, RelationshipType]] = set()
        used_refs: dict[str, str] = {}  # valid LicenseRef -> the licence key it stands for
        for report in result.models:
            for record in report.lineage.nodes:
                node_license = report.licenses[record.repo_id]
                if record.repo_id not in packages:
                    packages[record.repo_id], refs = _package(record, node_license, report.origins[record.repo_id])
                    for ref in refs:
                        used_refs.setdefault(ref, node_license.key or ref)
            if report.lineage.nodes:
                relationships.add((_PROJECT_REF, report.lineage.nodes[0].repo_id, RelationshipType.DEPENDS_ON))
            for edge in report.lineage.edges:
                kind = RelationshipType.VARIANT_OF if edge.relation is Relation.QUANTIZED else RelationshipType.DESCENDANT_OF
                relationships.add((edge.child, edge.parent, kind))
        for report in result.models:
            root_id, pin = split_pin(report.lineage.root)
            # After every resolved node: an id unresolved in one lineage (a cycle's way back) may be a node.
            for item in report.lineage.unresolved:
                is_root = item.referenced_by is None and item.repo_id == root_id
                if item.repo_id not in packages:
                    packages[item.repo_id] = _unresolved_package(item, pin if is_root else None)
                if is_root and not report.lineage.nodes:
                    relationships.add((_PROJECT_REF, item.repo_id, RelationshipType.DEPENDS_ON))
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
            comment=f"the scanned project; licscan verdict: {result.verdict.value} (policy {result.policy})"
            + _waiver_comment(result),
        )
        extracted = []
        for license_ref_id, key in sorted(used_refs.items()):
            record = result.license_records.get(key)
            name = record.name if record else key
            where = "; ".join(f"{s.citation} ({s.date})" for s in record.sources) if record else ""
            extracted.append(
                ExtractedLicensingInfo(
                    license_id=license_ref_id,
                    extracted_text=f"{name}. licscan does not reproduce licence texts; see: {where or 'the model card'}",
                    license_name=name,
                    cross_references=[link for link in (record.links if record else ()) if link.startswith("http")],
                )
            )
        # The namespace must be unique per document and stable per content, so it is derived from the content.
        content = json.dumps(
            [sorted(packages), sorted((a, b, c.name) for a, b, c in relationships), result.generated_at],
            sort_keys=True,
        )
        digest = hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()[:32]
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
                *(Relationship(a if a == _PROJECT_REF else _model_ref(a), kind, _model_ref(b))
                  for a, b, kind in sorted(relationships, key=lambda item: (item[0], item[1], item[2].name))),
            ],
            extracted_licensing_info=extracted,
        )
        check(document)
        stream = io.StringIO()
        write_document_to_stream(document, stream, validate=False)
        return stream.getvalue() + "\n"


def _waiver_comment(result: ScanResult) -> str:
    """SPDX 2.3 has no place for a waiver on a package but the comment: each waiver, once, on the project."""
    lines = sorted({
        f"{finding.rule_id} on {finding.model} waived: {finding.waiver.reason} (approved by "
        f"{finding.waiver.approved_by or 'nobody named'}; expires {finding.waiver.expires or 'never'})"
        for finding in result.findings if finding.waiver is not None
    })
    return ("; waivers: " + " | ".join(lines)) if lines else ""
