"""CycloneDX 1.6 SBOM (JSON): models as machine-learning-model components, their base-model chain as pedigree.

The document is built as plain data in time linear in the models and lineage nodes, and checked by licscan's own
linear checks (unique bom-refs, every reference resolves, purls and licence ids well formed) on every write.
cyclonedx-python-lib's object model sorts and compares its sets on every insert (n^1.5 and worse: 3.8 s for 1,000
models), so it is used here only for its list of SPDX ids and, on request (`--validate`), its strict validator.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from licscan.model import (
    Finding, LicenseTerms, ModelRecord, ModelReport, Relation, ScanResult, Unresolved, UnresolvedReason,
)
from licscan.reporting.sbom_ids import hub_url, purl, split_pin, supplier_name

SPEC_VERSION = "1.6"
SCHEMA = "http://cyclonedx.org/schema/bom-1.6.schema.json"
# A fixed namespace: serial numbers are UUIDv5 of the report's content, so the same input gives the same BOM.
_SERIAL_NAMESPACE = uuid.UUID("6f1d6a3c-1b0e-4a57-9a8e-4c1f0d7b2e11")
_PROJECT_REF = "project"
_PURL = re.compile(r"^pkg:[a-z][a-z0-9.+-]*/[^\s]+$")


class SbomCheckError(ValueError):
    """licscan built a document its own checks refuse: a defect in licscan, named with the element."""


def _license_entries(node_key: str | None, spdx_id: str | None, records: dict[str, LicenseTerms]) -> list[dict[str, Any]]:
    if not node_key or not spdx_id:
        return []
    from cyclonedx.spdx import is_supported_id

    record = records.get(node_key)
    url = None
    if record:  # where the text is published, else the primary source licscan read it in
        url = next(iter(record.links), None) or next(
            (source.url for source in record.sources if source.url and source.confidence == "primary"), None)
    if spdx_id.startswith("LicenseRef-") or not spdx_id.strip():
        entry: dict[str, Any] = {"name": record.name if record else node_key}
    elif is_supported_id(spdx_id):
        entry = {"id": spdx_id}
        url = url or f"https://spdx.org/licenses/{spdx_id}.html"
    else:
        return [{"expression": spdx_id}]  # a compound expression ("MIT AND Apache-2.0"): no URL has a place
    if url:
        entry["url"] = url
    return [{"license": entry}]


def _property(name: str, value: str) -> dict[str, str]:
    return {"name": name, "value": value}


def _identity(repo_id: str, revision: str | None, *, local: bool) -> dict[str, Any]:
    """Name, group, version and purl of a model: what a pedigree entry and a component share."""
    namespace, _, name = repo_id.partition("/")
    if not name or local:
        namespace, name = "", repo_id
    data: dict[str, Any] = {"type": "machine-learning-model", "name": name}
    if namespace:
        data["group"] = namespace
    if revision:
        data["version"] = revision
    if not local:
        data["purl"] = purl(repo_id, revision)
    return data


class _Builder:
    def __init__(self, result: ScanResult) -> None:
        self.result = result
        self.records = dict(result.license_records)
        self.components: dict[str, dict[str, Any]] = {}
        self.services: dict[str, dict[str, Any]] = {}  # models used through a provider's API
        self.depends: dict[str, set[str]] = {}
        self.identities: dict[str, dict[str, Any]] = {}  # repo id -> pedigree entry

    def model(self, record: ModelRecord, report: ModelReport, relations: dict[str, str]) -> dict[str, Any]:
        node_license = report.licenses[record.repo_id]
        origin = report.origins[record.repo_id]
        local = record.source in ("local", "runtime")  # a runtime tag is no Hub repo: no purl, no Hub link
        component = _identity(record.repo_id, record.revision, local=local)
        component["bom-ref"] = record.repo_id
        if origin.organization:
            component["supplier"] = {"name": supplier_name(origin.organization)}
        licenses = _license_entries(node_license.key, node_license.spdx_id, self.records)
        if licenses:
            component["licenses"] = licenses
        if not local:
            component["externalReferences"] = [{"type": "distribution", "url": hub_url(record.repo_id)}]
        properties = [_property("licscan:license-method", node_license.method), _property("licscan:source", record.source)]
        if node_license.declared:
            properties.append(_property("licscan:card-license", node_license.declared))
        if node_license.license_name:
            properties.append(_property("licscan:card-license-name", node_license.license_name))
        if origin.organization:
            properties.append(_property("licscan:publisher", origin.organization))
        if origin.country:
            properties.append(_property("licscan:origin-country", origin.country))
        for listing in origin.listings:
            properties.append(_property("licscan:restricted-party-list",
                                        f"{listing.list_name} ({listing.date_added or 'date unknown'})"))
        if record.repo_id in relations:
            properties.append(_property("licscan:relation", relations[record.repo_id]))
        component["properties"] = properties
        self.identities[record.repo_id] = _identity(record.repo_id, record.revision, local=local)
        return component

    def service(self, record: ModelRecord, report: ModelReport) -> dict[str, Any]:
        """A model used through a provider's API: a CycloneDX service, with the provider and its terms."""
        provider, _, name = record.repo_id.removeprefix("api:").partition("/")
        origin = report.origins[record.repo_id]
        service: dict[str, Any] = {"bom-ref": record.repo_id, "group": provider, "name": name}
        if origin.organization:
            service["provider"] = {"name": supplier_name(origin.organization)}
        properties = [_property("licscan:source", record.source)]
        if origin.country:
            properties.append(_property("licscan:origin-country", origin.country))
        for listing in origin.listings:
            properties.append(_property("licscan:restricted-party-list",
                                        f"{listing.list_name} ({listing.date_added or 'date unknown'})"))
        for finding in report.findings:
            evidence = dict(finding.evidence)
            if finding.rule_id == "LS160" and finding.ancestor == record.repo_id:
                if evidence.get("terms"):
                    service["externalReferences"] = [{"type": "other", "url": evidence["terms"],
                                                      "comment": "terms of service"}]
                properties.append(_property("licscan:terms-read", evidence.get("terms_read", "not read")))
        service["properties"] = properties
        return service

    def unresolved(self, item: Unresolved, revision: str | None) -> dict[str, Any]:
        """A model (or ancestor) named but not resolved: in the inventory all the same, with why, no licence claimed."""
        component = _identity(item.repo_id, revision, local=False)
        component["bom-ref"] = item.repo_id
        component["externalReferences"] = [{"type": "distribution", "url": hub_url(item.repo_id)}]
        component["properties"] = [_property("licscan:unresolved", item.reason.value),
                                   _property("licscan:unresolved-detail", item.detail or "no detail")]
        return component

    def pedigree(self, report: ModelReport) -> None:
        """Each resolved node's base-model chain (every ancestor, nearest first) as pedigree.ancestors, and the
        models it is a quantization of as pedigree.variants: the same weights at another precision."""
        parents: dict[str, list[str]] = {}
        quantized_from: dict[str, list[str]] = {}
        for edge in report.lineage.edges:
            parents.setdefault(edge.child, []).append(edge.parent)
            if edge.relation is Relation.QUANTIZED:
                quantized_from.setdefault(edge.child, []).append(edge.parent)
        for record in report.lineage.nodes:
            component = self.components.get(record.repo_id)  # a hosted API is a service, with no pedigree
            if component is None or "pedigree" in component or record.repo_id not in parents:
                continue
            seen: dict[str, None] = {}
            frontier = parents[record.repo_id]
            while frontier:
                following = []
                for parent in frontier:
                    if parent not in seen and parent != record.repo_id:
                        seen[parent] = None
                        following += parents.get(parent, ())
                frontier = following
            ancestors = [self.identities[parent] for parent in seen if parent in self.identities]
            pedigree: dict[str, Any] = {}
            if ancestors:
                pedigree["ancestors"] = ancestors
            variants = [self.identities[parent] for parent in quantized_from.get(record.repo_id, ())
                        if parent in self.identities]
            if variants:
                pedigree["variants"] = variants
            if pedigree:
                component["pedigree"] = pedigree

    def build(self) -> dict[str, Any]:
        result = self.result
        for report in result.models:
            relations = {edge.parent: edge.relation.value for edge in report.lineage.edges}
            for record in report.lineage.nodes:
                if record.source == "hosted-api":
                    self.services.setdefault(record.repo_id, self.service(record, report))
                elif record.repo_id not in self.components:
                    self.components[record.repo_id] = self.model(record, report, relations)
                self.depends.setdefault(record.repo_id, set())
            for edge in report.lineage.edges:
                self.depends.setdefault(edge.child, set()).add(edge.parent)
        for report in result.models:
            self.pedigree(report)
        roots: set[str] = set()
        for report in result.models:
            root_id, pin = split_pin(report.lineage.root)
            if report.lineage.nodes:
                roots.add(report.lineage.nodes[0].repo_id)
            # After every resolved node: an id unresolved in one lineage (a cycle's way back) may be a node.
            for item in report.lineage.unresolved:
                is_root = item.referenced_by is None and item.repo_id == root_id
                if item.repo_id not in self.components:
                    self.components[item.repo_id] = self.unresolved(item, pin if is_root else None)
                    self.depends.setdefault(item.repo_id, set())
                if is_root and not report.lineage.nodes:
                    roots.add(item.repo_id)
                if item.referenced_by and item.reason is not UnresolvedReason.CYCLE:
                    self.depends.setdefault(item.referenced_by, set()).add(item.repo_id)
        seed = json.dumps([sorted(self.components), sorted((k, sorted(v)) for k, v in self.depends.items()),
                           result.generated_at], sort_keys=True)
        metadata: dict[str, Any] = {
            "timestamp": result.generated_at,
            "tools": {"components": [{
                "type": "application", "name": "licscan", "version": result.tool_version,
                "externalReferences": [{"type": "website", "url": "https://github.com/licscan/licscan"}],
            }]},
            "component": {"type": "application", "name": result.project, "bom-ref": _PROJECT_REF},
            "properties": [_property("licscan:verdict", result.verdict.value), _property("licscan:policy", result.policy)],
        }
        dependencies = [{"ref": _PROJECT_REF, "dependsOn": sorted(roots)}]
        dependencies += [{"ref": key, "dependsOn": sorted(self.depends[key])} if self.depends[key] else {"ref": key}
                         for key in sorted(self.depends)]
        bom: dict[str, Any] = {
            "$schema": SCHEMA,
            "bomFormat": "CycloneDX",
            "specVersion": SPEC_VERSION,
            "serialNumber": f"urn:uuid:{uuid.uuid5(_SERIAL_NAMESPACE, seed)}",
            "version": 1,
            "metadata": metadata,
            "components": [self.components[key] for key in sorted(self.components)],
            "dependencies": dependencies,
        }
        if self.services:
            bom["services"] = [self.services[key] for key in sorted(self.services)]
        annotations = _waiver_annotations(result, self.components, metadata["tools"]["components"][0])
        if annotations:
            bom["annotations"] = annotations
        return bom


def _waiver_annotations(result: ScanResult, components: dict[str, Any], tool: dict[str, Any]) -> list[dict[str, Any]]:
    """Waivers have their place in CycloneDX as annotations on the waived model: who approved, why, until when."""
    annotations = []
    seen: set[tuple[str, ...]] = set()
    for finding in result.findings:
        waiver = finding.waiver
        subject = _subject(finding, components)
        if waiver is None or subject is None:
            continue
        text = (f"licscan waiver: {finding.rule_id} ({finding.kind.value}) on {finding.model} from {finding.ancestor} "
                f"is waived: {waiver.reason}; approved by {waiver.approved_by or 'nobody named'}; "
                f"expires {waiver.expires or 'never'}" + (f"; written in {waiver.policy_file}" if waiver.policy_file else ""))
        key = (subject, text)
        if key in seen:
            continue
        seen.add(key)
        annotations.append({"subjects": [subject], "annotator": {"component": tool},
                            "timestamp": result.generated_at, "text": text})
    return annotations


def _subject(finding: Finding, components: dict[str, Any]) -> str | None:
    for candidate in (finding.model, split_pin(finding.model)[0], finding.ancestor):
        if candidate in components:
            return candidate
    return None


def check(bom: dict[str, Any]) -> None:
    """licscan's own checks on a document it built, in one pass over it: every bom-ref unique, every dependency
    and annotation naming one that exists, every purl well formed."""
    refs = {_PROJECT_REF}
    for component in (*bom["components"], *bom.get("services", ())):
        ref = component["bom-ref"]
        if ref in refs:
            raise SbomCheckError(f"CycloneDX: bom-ref {ref!r} is used twice")
        refs.add(ref)
        if "purl" in component and not _PURL.match(component["purl"]):
            raise SbomCheckError(f"CycloneDX: component {ref!r} has a malformed purl {component['purl']!r}")
    for dependency in bom["dependencies"]:
        for ref in (dependency["ref"], *dependency.get("dependsOn", ())):
            if ref not in refs:
                raise SbomCheckError(f"CycloneDX: dependency names {ref!r}, which is no component")
    for annotation in bom.get("annotations", ()):
        for ref in annotation["subjects"]:
            if ref not in refs:
                raise SbomCheckError(f"CycloneDX: annotation names {ref!r}, which is no component")


def validate_with_library(text: str) -> list[str]:
    """cyclonedx-python-lib's strict JSON-schema validation of a document (`--validate`); [] when it is valid."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    return [] if error is None else [str(getattr(error, "data", error)).splitlines()[0]]


class CycloneDxFormat:
    name = "cyclonedx"
    suffix = ".cdx.json"

    def render(self, result: ScanResult) -> str:
        bom = _Builder(result).build()
        check(bom)
        return json.dumps(bom, indent=2, sort_keys=True) + "\n"
