"""SPDX 2.3 SBOM (JSON): each model and ancestor a package, lineage as relationships.

The document is built as plain data in time linear in the models and lineage nodes, and checked by licscan's own
linear checks on every write (SPDXIDs well formed and unique, every relationship and LicenseRef resolving).
spdx-tools is not in the write path: its validation grows with the square of the packages (9.4 s for 1,000
models), and its writer de-duplicates by list search and looks up each package's relationships by scanning them
all. It parses licence expressions here, and validates a written document in the tests and on request
(`licscan scan --validate`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from typing import Any

from licscan.model import ModelRecord, NodeLicense, Origin, Relation, ScanResult, Unresolved, UnresolvedReason
from licscan.reporting.sbom_ids import hub_url, idstring, license_ref, purl, split_pin, supplier_name

_PROJECT_REF = "SPDXRef-Project"
_NOASSERTION = "NOASSERTION"
_LICENSE_REF = re.compile(r"LicenseRef-[^\s()]+")
_SPDX_REF = re.compile(r"^SPDXRef-[A-Za-z0-9.-]+$")
_VALID_LICENSE_REF = re.compile(r"^LicenseRef-[A-Za-z0-9.-]+$")


class SbomCheckError(ValueError):
    """licscan built a document its own checks refuse: a defect in licscan, named with the element."""


def _model_ref(repo_id: str) -> str:
    # "/" as "--", which no Hub id holds, so "org/x" and "org-x" stay apart without a digest.
    return "SPDXRef-Model-" + idstring(repo_id.replace("/", "--"))


def _declared(spdx_id: str | None, key: str | None) -> tuple[str, list[str]]:
    """The declared licence expression, every LicenseRef in it made a valid one; NOASSERTION when it does not
    parse (licscan says what it could not read rather than fail the write)."""
    if not key or not spdx_id:
        return _NOASSERTION, []
    refs: list[str] = []

    def valid(match: re.Match[str]) -> str:
        refs.append(license_ref(match.group(0)))
        return refs[-1]

    expression = _parsed(_LICENSE_REF.sub(valid, spdx_id))
    return (expression, refs) if expression is not None else (_NOASSERTION, [])


@functools.lru_cache(maxsize=4096)
def _parsed(expression: str) -> str | None:
    """A licence expression in SPDX's form, parsed once per expression (a few licences bind thousands of models)."""
    from spdx_tools.common.spdx_licensing import spdx_licensing

    try:
        return str(spdx_licensing.parse(expression, validate=False, strict=False))
    except Exception:  # noqa: BLE001  (license-expression raises several kinds; any of them means "unparsable")
        return None


def _purl_ref(repo_id: str, revision: str | None) -> list[dict[str, str]]:
    return [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl(repo_id, revision)}]


def _package(record: ModelRecord, node_license: NodeLicense, origin: Origin) -> tuple[dict[str, Any], list[str]]:
    local = record.source == "local"
    declared, refs = _declared(node_license.spdx_id, node_license.key)
    package: dict[str, Any] = {
        "SPDXID": _model_ref(record.repo_id),
        "name": record.repo_id,
        "downloadLocation": _NOASSERTION if local else hub_url(record.repo_id),
        "supplier": f"Organization: {supplier_name(origin.organization)}" if origin.organization else _NOASSERTION,
        "filesAnalyzed": False,
        "licenseDeclared": declared,
        "licenseConcluded": _NOASSERTION,
        "copyrightText": _NOASSERTION,
        "primaryPackagePurpose": "OTHER",
        "comment": f"machine-learning model; card licence: {node_license.declared or 'none'}"
        + (f" ({node_license.license_name})" if node_license.license_name else "")
        + (f"; publisher: {origin.organization}" if origin.organization else "")
        + (f"; origin country: {origin.country}" if origin.country else ""),
    }
    if record.revision:
        package["versionInfo"] = record.revision
    if not local:
        package["externalRefs"] = _purl_ref(record.repo_id, record.revision)
    return package, refs


def _unresolved_package(item: Unresolved, revision: str | None) -> dict[str, Any]:
    """A model (or ancestor) named but not resolved: in the inventory all the same, with why, no licence asserted."""
    package: dict[str, Any] = {
        "SPDXID": _model_ref(item.repo_id),
        "name": item.repo_id,
        "downloadLocation": hub_url(item.repo_id),
        "supplier": _NOASSERTION,
        "filesAnalyzed": False,
        "licenseDeclared": _NOASSERTION,
        "licenseConcluded": _NOASSERTION,
        "copyrightText": _NOASSERTION,
        "primaryPackagePurpose": "OTHER",
        "comment": f"machine-learning model; unresolved ({item.reason.value}): {item.detail or 'no detail'}; "
        "its licence and origin are unknown",
        "externalRefs": _purl_ref(item.repo_id, revision),
    }
    if revision:
        package["versionInfo"] = revision
    return package


def _waiver_comment(result: ScanResult) -> str:
    """SPDX 2.3 has no place for a waiver but a comment: each waiver, once, on the project's package."""
    lines = sorted({
        f"{finding.rule_id} on {finding.model} waived: {finding.waiver.reason} (approved by "
        f"{finding.waiver.approved_by or 'nobody named'}; expires {finding.waiver.expires or 'never'})"
        for finding in result.findings if finding.waiver is not None
    })
    return ("; waivers: " + " | ".join(lines)) if lines else ""


def check(document: dict[str, Any]) -> None:
    """licscan's own checks on a document it built, in one pass over it: SPDXIDs well formed and unique, every
    relationship naming an element that exists, every LicenseRef a package declares defined in the document."""
    ids = {"SPDXRef-DOCUMENT"}
    for package in document["packages"]:
        if not _SPDX_REF.match(package["SPDXID"]) or package["SPDXID"] in ids:
            raise SbomCheckError(f"SPDX: package {package['name']!r} has an invalid or repeated SPDXID {package['SPDXID']!r}")
        ids.add(package["SPDXID"])
    for relationship in document["relationships"]:
        for element in (relationship["spdxElementId"], relationship["relatedSpdxElement"]):
            if element not in ids:
                raise SbomCheckError(f"SPDX: a {relationship['relationshipType']} relationship names {element!r}, "
                                     "which is no element of the document")
    defined = {info["licenseId"] for info in document.get("hasExtractedLicensingInfos", ())}
    for license_id in defined:
        if not _VALID_LICENSE_REF.match(license_id):
            raise SbomCheckError(f"SPDX: {license_id!r} is not a valid LicenseRef")
    for package in document["packages"]:
        for ref in _LICENSE_REF.findall(package["licenseDeclared"]):
            if ref not in defined:
                raise SbomCheckError(f"SPDX: package {package['name']!r} declares {ref!r}, which the document does not define")


def validate_with_library(text: str) -> list[str]:
    """spdx-tools' full validation of a written document (`--validate`; it grows with the square of the packages,
    so it never runs on a plain write); [] when it is valid."""
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    document = JsonLikeDictParser().parse(json.loads(text))
    return [message.validation_message for message in validate_full_spdx_document(document)]


class SpdxFormat:
    name = "spdx"
    suffix = ".spdx.json"

    def render(self, result: ScanResult) -> str:
        packages: dict[str, dict[str, Any]] = {}
        relationships: set[tuple[str, str, str]] = set()
        used_refs: dict[str, str] = {}  # valid LicenseRef -> the licence key it stands for
        for report in result.models:
            for record in report.lineage.nodes:
                node_license = report.licenses[record.repo_id]
                if record.repo_id not in packages:
                    packages[record.repo_id], refs = _package(record, node_license, report.origins[record.repo_id])
                    for ref in refs:
                        used_refs.setdefault(ref, node_license.key or ref)
            if report.lineage.nodes:
                relationships.add((_PROJECT_REF, report.lineage.nodes[0].repo_id, "DEPENDS_ON"))
            for edge in report.lineage.edges:
                relationships.add((edge.child, edge.parent,
                                   "VARIANT_OF" if edge.relation is Relation.QUANTIZED else "DESCENDANT_OF"))
        for report in result.models:
            root_id, pin = split_pin(report.lineage.root)
            # After every resolved node: an id unresolved in one lineage (a cycle's way back) may be a node.
            for item in report.lineage.unresolved:
                is_root = item.referenced_by is None and item.repo_id == root_id
                if item.repo_id not in packages:
                    packages[item.repo_id] = _unresolved_package(item, pin if is_root else None)
                if is_root and not report.lineage.nodes:
                    relationships.add((_PROJECT_REF, item.repo_id, "DEPENDS_ON"))
                if item.referenced_by and item.reason is not UnresolvedReason.CYCLE:
                    relationships.add((item.referenced_by, item.repo_id, "DESCENDANT_OF"))
        # The document describes the project, which depends on its models: valid with any number of them.
        project = {
            "SPDXID": _PROJECT_REF,
            "name": result.project,
            "downloadLocation": _NOASSERTION,
            "filesAnalyzed": False,
            "licenseConcluded": _NOASSERTION,
            "licenseDeclared": _NOASSERTION,
            "copyrightText": _NOASSERTION,
            "primaryPackagePurpose": "APPLICATION",
            "comment": f"the scanned project; licscan verdict: {result.verdict.value} (policy {result.policy})"
            + _waiver_comment(result),
        }
        extracted = []
        for license_ref_id, key in sorted(used_refs.items()):
            record = result.license_records.get(key)
            name = record.name if record else key
            where = "; ".join(f"{s.citation} ({s.date})" for s in record.sources) if record else ""
            info: dict[str, Any] = {
                "licenseId": license_ref_id,
                "extractedText": f"{name}. licscan does not reproduce licence texts; see: {where or 'the model card'}",
                "name": name,
            }
            links = [link for link in (record.links if record else ()) if link.startswith("http")]
            if links:
                info["seeAlsos"] = links
            extracted.append(info)
        ordered = sorted(relationships)
        # The namespace must be unique per document and stable per content, so it is derived from the content.
        content = json.dumps([sorted(packages), ordered, result.generated_at], sort_keys=True)
        digest = hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        document: dict[str, Any] = {
            "spdxVersion": "SPDX-2.3",
            "dataLicense": "CC0-1.0",
            "SPDXID": "SPDXRef-DOCUMENT",
            "name": f"licscan-{result.project}",
            "documentNamespace": f"https://spdx.org/spdxdocs/licscan-{digest}",
            "creationInfo": {"created": result.generated_at, "creators": [f"Tool: licscan-{result.tool_version}"]},
            "packages": [project, *(packages[key] for key in sorted(packages))],
            "relationships": [
                {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": _PROJECT_REF},
                *({"spdxElementId": a if a == _PROJECT_REF else _model_ref(a), "relationshipType": kind,
                   "relatedSpdxElement": _model_ref(b)} for a, b, kind in ordered),
            ],
        }
        if extracted:
            document["hasExtractedLicensingInfos"] = extracted
        check(document)
        return json.dumps(document, indent=4, sort_keys=True) + "\n"
