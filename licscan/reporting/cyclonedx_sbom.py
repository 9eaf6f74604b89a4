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

from licscan.model import ModelReport, ModelRecord, ScanResult

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
    namespace, _, name = record.repo_id.partition("/")
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=name or record.repo_id,
        group=None if local else namespace,
        version=record.revision,
        bom_ref=record.repo_id,
        supplier=OrganizationalEntity(name=origin.organization) if origin.organization else None,
        licenses=licenses,
        purl=None if local else PackageURL(type="huggingface", namespace=namespace, name=name, version=record.revision),
        external_references=[] if local else [
            ExternalReference(type=ExternalReferenceType.DISTRIBUTION,
                              url=XsUri(f"https://huggingface.co/{record.repo_id}"))
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
        roots = sorted(report.lineage.nodes[0].repo_id for report in result.models if report.lineage.nodes)
        bom.dependencies.add(Dependency(ref=bom.metadata.component.bom_ref,
                                        dependencies=[Dependency(ref=by_ref[key]) for key in roots]))
        for key in sorted(depends):
            bom.dependencies.add(Dependency(ref=by_ref[key],
                                            dependencies=[Dependency(ref=by_ref[p]) for p in sorted(depends[key])]))
        text = JsonV1Dot6(bom).output_as_string(indent=2)
        return json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
