"""Whether ERPNext is installed on the site.

ERPNext is optional: Customer, Lead, Issue, Company and the selling documents exist only with it,
so everything that uses them asks here first, and the app works on a plain Frappe site too.
"""

import frappe


def has_erpnext() -> bool:
	return bool(frappe.db.table_exists("Customer"))
