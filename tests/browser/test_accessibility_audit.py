"""The accessibility audit itself (conftest.Person.audit, axe-core): it must see what a person
using a screen reader or a keyboard would trip over, or its silence on the portal's pages
(every screenshot of the other scenarios is audited) would prove nothing."""
from __future__ import annotations


def test_the_audit_reports_serious_and_critical_problems(person):
    someone = person("0-audit")
    someone.page.set_content('<html><head></head><body><img src="x.png"><input type="text">'
                             '<p style="color:#bbb;background:#fff">Texte peu contrasté</p></body></html>')
    someone.audit("0-audit-page-fautive")
    found = "\n".join(someone.violations)
    for problem in ("image-alt (critical)", "label (critical)", "html-has-lang (serious)", "color-contrast (serious)"):
        assert problem in found, found
    someone.violations.clear()  # expected here: not a failure of this test
