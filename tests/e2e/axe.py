"""axe-core in the browser tests: the vendored engine (tests/e2e/vendor/axe-core, never served
by the page) run on a page with the WCAG 2.0 and 2.1 A and AA rule sets."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUN = """async (tags) => {
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return result.violations.map((v) => ({
        rule: v.id,
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), why: n.failureSummary })),
    }));
}"""


def violations(page: Page) -> list[dict]:
    """The WCAG 2.1 A/AA violations axe-core finds on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN, TAGS)


def report(found: list[dict]) -> str:
    """One line per failing element: the rule, the element and what is wrong."""
    lines = []
    for v in found:
        for n in v["nodes"]:
            why = " ".join(n["why"].split())[:200]
            lines.append(f"{v['rule']}: {n['target']} -- {why}")
    return "\n".join(lines)
