"""Translating what people read, from the modules that do without Frappe.

Frappe's `_()` needs a site, which the Frappe-free floors may not import. They mark their sentences
with the `_` here instead: inside a Frappe process serving a site it is Frappe's own translation,
in the user's language; anywhere else (the plain test suite, the probe on the command line) it
gives the English back. Mark a sentence whole and fill its `{0}`s after translating it, so that a
translator sees the whole sentence: `_("{0} did not answer").format(url)`.
"""

import sys


def _(text: str) -> str:
	frappe = sys.modules.get("frappe")
	if frappe is None or not getattr(frappe.local, "site", None):
		return text
	return frappe._(text)
