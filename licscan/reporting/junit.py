"""JUnit XML for CI test dashboards: one test case per model, a failure per failing finding."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from licscan.model import ScanResult

_XML_UNSAFE = dict.fromkeys(range(0x20), None) | {0x9: 0x9, 0xA: 0xA, 0xD: 0xD}


def _xml_text(text: str) -> str:
    """XML 1.0 cannot carry most control characters; card text may contain them."""
    return text.translate(_XML_UNSAFE)


class JunitFormat:
    name = "junit"
    suffix = ".xml"

    def render(self, result: ScanResult) -> str:
        failing_models = sum(1 for report in result.models if any(f.fails for f in report.findings))
        suite = ET.Element(
            "testsuite",
            name="licscan",
            tests=str(len(result.models)),
            failures=str(failing_models),
            errors="0",
            skipped="0",
            timestamp=result.generated_at.rstrip("Z"),
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (("policy", result.policy), ("verdict", result.verdict.value)):
            ET.SubElement(properties, "property", name=name, value=value)
        for report in result.models:
            case = ET.SubElement(suite, "testcase", classname="licscan.models", name=_xml_text(report.key))
            failing = [finding for finding in report.findings if finding.fails]
            for finding in failing:
                failure = ET.SubElement(
                    case, "failure", type=f"{finding.rule_id} {finding.kind.value}",
                    message=_xml_text(finding.message),
                )
                failure.text = _xml_text(f"{finding.rule_id} ({finding.severity.value}) from {finding.ancestor}\n"
                                         f"{finding.message}")
            notes = [finding for finding in report.findings if not finding.fails]
            lines = [f"commercial use: {report.effective.commercial_use.value}",
                     f"licences: {', '.join(report.effective.licenses) or '-'}"]
            lines += [f"{finding.rule_id} {finding.kind.value}: {finding.message}" for finding in notes]
            ET.SubElement(case, "system-out").text = _xml_text("\n".join(lines))
        ET.indent(suite)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
