"""Reference documentation generated from the rule registry.

``docs/rules.md`` is the output of ``rules_markdown()``; a test keeps the two equal, so
the docstrings of the rules stay the single source of their documentation.
"""

from __future__ import annotations

import inspect

from .rules import HEADER_RULES, RULES

_GROUPS = {
    "1": "Image geometry",
    "2": "Hiding and event CSS",
    "3": "Known vendors",
    "4": "Identifiers in URLs",
    "5": "Links and redirects",
    "6": "Headers",
    "7": "Address leaks",
    "8": "Remote content",
}


def rules_markdown() -> str:
    """Return the rule reference as Markdown, one section per code, grouped by hundreds."""
    entries = [(rule.code, rule.name, rule.summary, rule.weight, sorted(rule.roles), rule.doc) for rule in RULES]
    entries += [
        (rule.code, rule.name, rule.summary, rule.weight, [], inspect.cleandoc(rule.doc)) for rule in HEADER_RULES
    ]
    entries.sort()
    lines = [
        "# Rules",
        "",
        "Generated from the rule docstrings by `trackdetect rules --markdown`; do not edit by hand.",
        "Codes are stable and never reused for another meaning. The weight adds to a finding's",
        "score; the kind and confidence of a finding are decided from the set of rules that fired",
        "(see `trackdetect/_detect.py`).",
    ]
    group = ""
    for code, name, summary, weight, roles, doc in entries:
        if code[2] != group:
            group = code[2]
            lines += ["", f"## TD{group}xx: {_GROUPS.get(group, 'Other')}"]
        applies = f"; applies to {', '.join(roles)}" if roles else ""
        text = doc.replace("``", "`")
        lines += ["", f"### {code} {name}", "", f"*{summary}* (weight {weight:g}{applies})", "", text]
    return "\n".join(lines) + "\n"
