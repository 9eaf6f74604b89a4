"""JUnit XML for CI test dashboards: a test case per failing or waived finding, one per model otherwise.

Written to the strict Ant JUnit schema (which Jenkins and GitLab read) and to the Jenkins xUnit one: a test case
carries at most one `failure` (or `skipped`), every case and the suite have a `time`, the suite has its
`properties` first and `system-out` / `system-err` last, the timestamp has no zone.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from licscan.model import Finding, ModelReport, ScanResult

_XML_UNSAFE = dict.fromkeys(range(0x20), None) | {0x9: 0x9, 0xA: 0xA, 0xD: 0xD}
_CLASSNAME = "licscan.models"


def _xml_text(text: str) -> str:
    """XML 1.0 cannot carry most control characters, nor lone surrogates; card text may contain them."""
    return text.translate(_XML_UNSAFE).encode("utf-8", "replace").decode("utf-8")


def _case(suite: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=_CLASSNAME, name=_xml_text(name), time="0")


def _waiver_text(finding: Finding) -> str:
    waiver = finding.waiver
    assert waiver is not None
    return (f"waived: {waiver.reason} (approved by {waiver.approved_by or 'nobody named'}; "
            f"expires {waiver.expires or 'never'}" + (f"; {waiver.policy_file}" if waiver.policy_file else "") + ")")


def _model_cases(suite: ET.Element, report: ModelReport) -> tuple[int, int]:
    """The test cases of one model; returns how many failed and how many were skipped."""
    failing = [finding for finding in report.findings if finding.fails]
    waived = [finding for finding in report.findings if finding.waiver is not None and not finding.fails]
    for finding in failing:
        # One failure per test case, as the strict schema requires: a case per failing finding.
        case = _case(suite, f"{report.key} {finding.rule_id} {finding.ancestor}")
        failure = ET.SubElement(case, "failure", type=f"{finding.rule_id} {finding.kind.value}",
                                message=_xml_text(finding.message))
        failure.text = _xml_text(f"{finding.rule_id} ({finding.severity.value}) from {finding.ancestor}\n"
                                 f"{finding.message}")
    for finding in waived:
        case = _case(suite, f"{report.key} {finding.rule_id} {finding.ancestor}")
        ET.SubElement(case, "skipped", message=_xml_text(_waiver_text(finding)))
    if not failing and not waived:
        _case(suite, report.key)
    return len(failing), len(waived)


def _notes(report: ModelReport) -> list[str]:
    lines = [f"{report.key}: commercial use {report.effective.commercial_use.value}; "
             f"licences {', '.join(report.effective.licenses) or '-'}"]
    lines += [f"  {finding.rule_id} {finding.kind.value}: {finding.message}" for finding in report.findings
              if not finding.fails and finding.waiver is None]
    lines += [f"  {finding.rule_id} {finding.kind.value}: {finding.message} [{_waiver_text(finding)}]"
              for finding in report.findings if finding.waiver is not None and not finding.fails]
    return lines


class JunitFormat:
    name = "junit"
    suffix = ".xml"

    def render(self, result: ScanResult) -> str:
        suite = ET.Element("testsuite", name="licscan")
        properties = ET.SubElement(suite, "properties")
        for name, value in (("policy", result.policy), ("verdict", result.verdict.value)):
            ET.SubElement(properties, "property", name=name, value=_xml_text(value))
        failures = skipped = 0
        notes: list[str] = []
        for report in result.models:
            failed, waived = _model_cases(suite, report)
            failures, skipped = failures + failed, skipped + waived
            notes += _notes(report)
        # The strict schema has no system-out inside a test case: each model's notes go to the suite's.
        ET.SubElement(suite, "system-out").text = _xml_text("\n".join(notes))
        ET.SubElement(suite, "system-err").text = ""
        cases = len(suite.findall("testcase"))
        # "hostname" is required; the machine's name is not put in a report that must not depend on it.
        suite.attrib.update(tests=str(cases), failures=str(failures), errors="0", skipped=str(skipped), time="0",
                            timestamp=result.generated_at.rstrip("Z"), hostname="localhost")
        ET.indent(suite)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
