"""CycloneDX 1.6 SBOM (JSON) through cyclonedx-python-lib: models as machine-learning-model components."""

from __future__ import annotations

import datetime
import json
import uuid

from cyclonedx.model import ExternalReference, ExternalReferenceType, Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.model.dependency import Dependency
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from licscan.model import ModelReport, ModelRecord, ScanResult, Unresolved, UnresolvedReason

# A fixed namespace: serial numbers are UUIDv5 of the report's content, so the same input gives the same BOM.
_SERIAL_NAMESPACE = uuid.UUID("6f1d6a3c-1b0e-4a57-9a8e-4c1f0d7b2e11")


def _component(record: ModelRecord, report: ModelReport, relation_to_root: dict[str, str]) -> Component:
    node_license = report.licenses[record.repo_id]
    origin = report.origins[record.repo_id]
    licenses = []
    if node_license.key and node_license.spdx_id:
        if node_license.spdx_id.startswith("LicenseRef-"):
            licenses.append(DisjunctiveLicense(name=node_license.key))
        else:
            licenses.append(LicenseExpression(node_license.spdx_id))
    local = record.source == "local"
    properties = [
        Property(name="licscan:license-method", value=node_license.method),
        Property(name="licscan:source", value=record.source),
    ]
    if node_license.declared:
        properties.append(Property(name="licscan:card-license", value=node_license.declared))
    if node_license.license_name:
        properties.append(Property(name="licscan:card-license-name", value=node_license.license_name))
    if origin.country:
        properties.append(Property(name="licscan:origin-country", value=origin.country))
    for listing in origin.listings:
        properties.append(Property(name="licscan:restricted-party-list",
                                   value=f"{listing.list_name} ({listing.date_added or 'date unknown'})"))
    if record.repo_id in relation_to_root:
        properties.append(Property(name="licscan:relation", value=relation_to_root[record.repo_id]))
    supplier = OrganizationalEntity(name=origin.organization) if origin.organization else None
    return _model_component(record.repo_id, record.revision, local=local, supplier=supplier, licenses=licenses,
                            properties=properties)


def _unresolved_component(item: Unresolved) -> Component:
    """A model (or ancestor) named but not resolved: in the inventory all the same, with why, no licence claimed."""
    return _model_component(item.repo_id, None, local=False, supplier=None, licenses=[], properties=[
        Property(name="licscan:unresolved", value=item.reason.value),
        Property(name="licscan:unresolved-detail", value=item.detail or "no detail"),
    ])


def _model_component(repo_id: str, revision: str | None, *, local: bool, supplier: OrganizationalEntity | None,
                     licenses: list, properties: list[Property]) -> Component:
    namespace, _, name = repo_id.partition("/")
    if not name:  # a legacy Hub id has no namespace ("gpt2")
        namespace, name = "", repo_id
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=name,
        group=None if local else (namespace or None),
        version=revision,
        bom_ref=repo_id,
        supplier=supplier,
        licenses=licenses,
        purl=None if local else PackageURL(type="huggingface", namespace=namespace or None, name=name, version=revision),
        external_references=[] if local else [
            ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(f"https://huggingface.co/{repo_id}"))
        ],
        properties=properties,
    )


class CycloneDxFormat:
    name = "cyclonedx"
    suffix = ".cdx.json"

    def render(self, result: ScanResult) -> str:
        components: dict[str, Component] = {}
        depends: dict[str, set[str]] = {}
        for report in result.models:
            relations = {edge.parent: edge.relation.value for edge in report.lineage.edges}
            for record in report.lineage.nodes:
                if record.repo_id not in components:
                    components[record.repo_id] = _component(record, report, relations)
                depends.setdefault(record.repo_id, set())
            for edge in report.lineage.edges:
                depends.setdefault(edge.child, set()).add(edge.parent)
        for report in result.models:
            # After every resolved node: an id unresolved in one lineage (a cycle's way back) may be a node.
            for item in report.lineage.unresolved:
                if item.repo_id not in components:
                    components[item.repo_id] = _unresolved_component(item)
                    depends.setdefault(item.repo_id, set())
                if item.referenced_by and item.reason is not UnresolvedReason.CYCLE:
                    depends.setdefault(item.referenced_by, set()).add(item.repo_id)
        seed = json.dumps([sorted(components), sorted((k, sorted(v)) for k, v in depends.items()),
                           result.generated_at], sort_keys=True)
        bom = Bom(
            serial_number=uuid.uuid5(_SERIAL_NAMESPACE, seed),
            metadata=BomMetaData(
                timestamp=datetime.datetime.fromisoformat(result.generated_at.replace("Z", "+00:00")),
                component=Component(type=ComponentType.APPLICATION, name=result.project, bom_ref="project"),
                properties=[Property(name="licscan:verdict", value=result.verdict.value),
                            Property(name="licscan:policy", value=result.policy)],
            ),
            components=[components[key] for key in sorted(components)],
        )
        by_ref = {key: component.bom_ref for key, component in components.items()}
        roots = sorted({report.lineage.nodes[0].repo_id if report.lineage.nodes else report.lineage.root
                        for report in result.models})
        bom.dependencies.add(Dependency(ref=bom.metadata.component.bom_ref,
                                        dependencies=[Dependency(ref=by_ref[key]) for key in roots]))
        for key in sorted(depends):
            bom.dependencies.add(Dependency(ref=by_ref[key],
                                            dependencies=[Dependency(ref=by_ref[p]) for p in sorted(depends[key])]))
        text = JsonV1Dot6(bom).output_as_string(indent=2)
        return json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
