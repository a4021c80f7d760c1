"""JUnit XML: one testsuite per spec, one testcase per check."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from alignspec.report.paths import shown
from alignspec.results import Report, Verdict


def dumps(reports: Sequence[Report], *, allow_unknown: bool = False) -> str:
    """A check fails when its verdict contradicts the spec's ``expect`` ("aligned": not
    PROVED); UNKNOWN is a failure unless allowed (then it is reported as skipped)."""
    root = ET.Element("testsuites", name="alignspec")
    total = failures = skipped = 0
    for report in reports:
        suite = ET.SubElement(root, "testsuite", name=report.spec)
        n = f = s = 0
        for finding in report.findings:
            n += 1
            case = ET.SubElement(
                suite,
                "testcase",
                classname=report.spec,
                name=finding.check,
                time=f"{finding.elapsed:.6f}",
            )
            if report.source:
                case.set("file", shown(report.source[0]))
                case.set("line", str(report.source[1]))
            text = finding.message + (f"\nreason: {finding.reason}" if finding.reason else "")
            if finding.verdict is Verdict.UNKNOWN:
                if allow_unknown:
                    s += 1
                    ET.SubElement(case, "skipped", message="UNKNOWN").text = text
                else:
                    f += 1
                    ET.SubElement(case, "failure", message="UNKNOWN", type="unknown").text = text
            elif report.expect == "aligned" and finding.verdict is not Verdict.PROVED:
                f += 1
                ET.SubElement(
                    case, "failure", message=str(finding.verdict), type="violated"
                ).text = text
            else:
                ET.SubElement(case, "system-out").text = f"{finding.verdict}: {text}"
        if report.expect == "misaligned" and report.verdict is not Verdict.VIOLATED:
            n += 1
            f += 1
            case = ET.SubElement(suite, "testcase", classname=report.spec, name="expect")
            ET.SubElement(
                case, "failure", message="expected misaligned", type="expectation"
            ).text = f"verdict {report.verdict}"
        suite.set("tests", str(n))
        suite.set("failures", str(f))
        suite.set("skipped", str(s))
        total, failures, skipped = total + n, failures + f, skipped + s
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("skipped", str(skipped))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
