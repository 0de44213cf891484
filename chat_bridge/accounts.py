"""The Chatwoot accounts the site is connected to, and each one's Company.

The account of Chatwoot Integration Settings is the *first account*: its URL, administrator token
and webhook secret stay in the settings, so a site with one account works as it always has. Every
other account is a Chatwoot Account record that holds its own (its URL may be left to the
settings', as accounts of one installation share it). Each account's Company is on its record; the
upgrade patch makes the first account's record.

A webhook delivery names its account in the URL Chat Bridge registered for it (`?account=ID`; the
first account's URL names none). Its secret comes from what this process keeps (`get_secret`), so
knowing it costs the intake no database read; the account the body claims must be that account.
"""

from dataclasses import dataclass

import frappe
from frappe import _
from frappe.core.doctype.user_permission.user_permission import get_user_permissions
from frappe.utils import cint

from chat_bridge.erpnext import has_erpnext
from chat_bridge.exceptions import IncompleteConfigurationError
from chat_bridge.settings import FlagsRead, get_secret, get_settings
from chat_bridge.settings_cache import get_secrets_of

ACCOUNT_DOCTYPE = "Chatwoot Account"
AGENT_DOCTYPE = "Chatwoot Agent"  # a user's provisioning in one account
ACCOUNT_PARAMETER = "account"  # in the webhook URL of every account but the first
REGISTERED_FIELDS = ("chatwoot_webhook_id", "webhook_url", "dashboard_app_id", "dashboard_app_url")
# The app's own records that carry their account's Company.
COMPANY_DOCTYPES = (
	"Chatwoot Contact Mapping",
	"Chatwoot Conversation Mapping",
	"Chatwoot Webhook Event",
	AGENT_DOCTYPE,
	"Chatwoot Document Send",
)

# Frappe's own records made for an account (its chat messages' Communications, the ToDos that follow
# its conversations) carry the account's Company in a field of the app's, made where ERPNext is
# (chat_bridge.install.COMPANY_FIELDS), so that User Permissions on Company reach them too.
RECORD_COMPANY_FIELD = "chatwoot_company"
RECORD_DOCTYPES = ("Communication", "ToDo")


class AccountNotConnectedError(IncompleteConfigurationError):
	pass


@dataclass(frozen=True)
class Account:
	account_id: int
	chatwoot_url: str | None
	company: str | None
	first: bool  # the account of Chatwoot Integration Settings
	max_agents: int = 0  # 0: no limit of the site's own

	def secret(self, fieldname: str, read: FlagsRead | None = None) -> str | None:
		return account_secret(self.account_id, self.first, fieldname, read)

	@property
	def token(self) -> str | None:
		return self.secret("api_access_token")

	def platform_token(self) -> str | None:
		"""The Platform API token of the account's installation: its own, else the settings' when
		it is on the settings' Chatwoot (a platform app is installation-wide)."""
		own = self.secret("platform_api_token")
		if own or self.first or self.chatwoot_url != get_settings().chatwoot_url:
			return own
		return get_secret("platform_api_token")


def account_secret(account_id: int, first: bool, fieldname: str, read: FlagsRead | None = None) -> str | None:
	"""A Password field of an account's connection: the settings' for the first account."""
	if first:
		return get_secret(fieldname, read)
	return get_secret(fieldname, read, doctype=ACCOUNT_DOCTYPE, name=str(account_id))


def first_account_id() -> int | None:
	return cint(get_settings().account_id) or None


def get_account(account_id: int | None = None) -> Account:
	"""The connected account `account_id` (the first account when None), or a refusal saying why not."""
	first = first_account_id()
	account_id = cint(account_id) or first
	if not account_id:
		frappe.throw(
			_("Set the Chatwoot URL and Account ID in Chatwoot Integration Settings first."),
			IncompleteConfigurationError,
		)
	# The Company field is there only with ERPNext (chat_bridge.install.COMPANY_FIELDS).
	fields = ["chatwoot_url", "max_agents", *(["company"] if has_erpnext() else [])]
	record = frappe.db.get_value(ACCOUNT_DOCTYPE, str(account_id), fields, as_dict=True)
	company = record.get("company") if record else None
	if account_id == first:
		settings = get_settings()
		return Account(account_id, settings.chatwoot_url, company, True, cint(settings.max_agents))
	if not record or not others_connected(account_id):
		frappe.throw(
			_("Chatwoot account {0} is not connected to this site: connect it in Chatwoot Account.").format(
				account_id
			),
			AccountNotConnectedError,
		)
	return Account(
		account_id,
		record.chatwoot_url or get_settings().chatwoot_url,
		company,
		False,
		cint(record.max_agents),
	)


def connected_accounts() -> list[Account]:
	"""The first account, then every other connected account, by id."""
	first = first_account_id()
	return [get_account(account_id) for account_id in ([first] if first else []) + others_connected()]


def others_connected(account_id: int | None = None) -> list[int]:
	"""The accounts but the first that are switched on and have a token (`account_id` only, if
	given). A record that was the first account's before the settings named another has none."""
	rows = frappe.db.sql(
		"""select account.account_id from `tabChatwoot Account` account
		where account.enabled = 1 and account.account_id != %(first)s
			and (%(only)s = 0 or account.account_id = %(only)s)
			and exists (select 1 from `__Auth` auth where auth.doctype = %(doctype)s
				and auth.name = account.name and auth.fieldname = 'api_access_token')
		order by account.account_id""",
		{"first": first_account_id() or 0, "only": account_id or 0, "doctype": ACCOUNT_DOCTYPE},
	)
	return [row[0] for row in rows]


def is_connected(account_id: int | None) -> bool:
	if not account_id:
		return False
	return account_id == first_account_id() or bool(others_connected(account_id))


def member_accounts(user: str) -> set[int]:
	"""The accounts this site made `user` a member of (their Chatwoot Agent records)."""
	return set(
		frappe.get_all(AGENT_DOCTYPE, filters={"user": user, "account_step": "Done"}, pluck="account_id")
	)


def company_of(account_id: int | None) -> str | None:
	"""The Company the account works for; None without ERPNext (whose install adds the field,
	chat_bridge.install.COMPANY_FIELDS) or when none is set."""
	if not account_id or not has_erpnext():
		return None
	return frappe.db.get_value(ACCOUNT_DOCTYPE, str(account_id), "company")


def may_see_account(account_id: int, user: str | None = None) -> bool:
	"""Whether `user` (the session user) may see what belongs to the account: always, unless User
	Permissions keep them to Companies that the account's is not one of."""
	company = company_of(account_id)
	allowed = get_user_permissions(user or frappe.session.user).get("Company")
	return not (company and allowed) or company in {permission["doc"] for permission in allowed}


def visible_accounts() -> list[Account]:
	"""The connected accounts the session user's Company permissions reach."""
	return [account for account in connected_accounts() if may_see_account(account.account_id)]


def account_for_viewer(account_id=None) -> int:
	"""The account a report, page or card shows the session user: the one asked for (refused when
	it is not connected or works for a Company they are not permitted), else the first they may see."""
	if cint(account_id):
		account = get_account(cint(account_id))
		if not may_see_account(account.account_id):
			frappe.throw(
				_("Chatwoot account {0} works for a Company you are not permitted.").format(
					account.account_id
				),
				frappe.PermissionError,
			)
		return account.account_id
	visible = visible_accounts()
	if visible:
		return visible[0].account_id
	if first_account_id():
		frappe.throw(_("No Chatwoot account works for a Company you are permitted."), frappe.PermissionError)
	return get_account().account_id  # says what to set first


def account_label(account: Account) -> str:
	name = frappe.db.get_value(ACCOUNT_DOCTYPE, str(account.account_id), "account_name")
	label = f"{name} ({account.account_id})" if name else str(account.account_id)
	return f"{label} · {account.company}" if account.company else label


def webhook_secret(account_id: int | None, read: FlagsRead) -> str | None:
	"""The secret deliveries for `account_id` are signed with (the first account's when None).

	Asked by the intake before anything is trusted: it reads only what this process keeps (every
	account's secret, read at once, so a URL naming an unknown account costs no database read), and
	the first account's id from the flags this delivery was gated by.
	"""
	if account_id is None or account_id == read.flags.get("account_id"):
		return get_secret("webhook_secret", read)
	return get_secrets_of(ACCOUNT_DOCTYPE, "webhook_secret", read).get(str(account_id))


def registered_values(account: Account) -> frappe._dict:
	"""What registering with Chatwoot stored for `account`: its webhook and Dashboard App."""
	if account.first:
		source = get_settings()
	else:
		source = frappe.db.get_value(
			ACCOUNT_DOCTYPE, str(account.account_id), REGISTERED_FIELDS, as_dict=True
		)
	return frappe._dict({field: source.get(field) for field in REGISTERED_FIELDS})


def webhook_address(url: str, account: Account) -> str:
	"""The webhook URL for `account`: every account but the first names itself in it."""
	if account.first or f"{ACCOUNT_PARAMETER}=" in url:
		return url
	return f"{url}{'&' if '?' in url else '?'}{ACCOUNT_PARAMETER}={account.account_id}"


def save_account_values(account: Account, **values) -> None:
	"""Store what registering with Chatwoot returned (webhook, Dashboard App) for `account`."""
	if account.first:
		settings = frappe.get_single("Chatwoot Integration Settings")
		settings.update(values)
		settings.save()
		return
	record = frappe.get_doc(ACCOUNT_DOCTYPE, str(account.account_id))
	record.update(values)
	record.save()


def ensure_account_record(account_id: int) -> str | None:
	"""Give the first account its Chatwoot Account record (with the site's Company) when it has
	none; the Company of its record."""
	if not frappe.db.exists(ACCOUNT_DOCTYPE, str(account_id)):
		record = frappe.get_doc(
			{"doctype": ACCOUNT_DOCTYPE, "account_id": account_id, "company": site_company(), "enabled": 1}
		)
		record.flags.first_account = True  # connected by the settings, which are being saved
		record.insert(ignore_permissions=True)
	return company_of(account_id)


def site_company() -> str | None:
	"""The default Company, or the only one; None without ERPNext or when that says nothing."""
	if not has_erpnext():
		return None
	default = frappe.db.get_single_value("Global Defaults", "default_company")
	if default:
		return default
	companies = frappe.get_all("Company", pluck="name", limit=2)
	return companies[0] if len(companies) == 1 else None


def stamp_company(doc) -> None:
	"""A record made for an account carries the account's Company (for User Permissions), never
	the user's default Company that a new document is given."""
	if doc.get("account_id") and doc.meta.has_field("company"):
		doc.company = company_of(doc.account_id)


def stamp_record_company(doc, company: str | None) -> None:
	"""A Communication or ToDo made for an account carries the account's Company, where the site
	has the field."""
	if company and doc.meta.has_field(RECORD_COMPANY_FIELD):
		doc.set(RECORD_COMPANY_FIELD, company)
