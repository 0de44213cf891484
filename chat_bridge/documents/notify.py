"""Chatwoot Notifications: a message to a document's customer through Chatwoot when something
happens to the document, set up without code, as Frappe's Notification sends an e-mail.

Frappe's Notification has its channels (e-mail, Slack, system notification, SMS) written into its
own `send` method, with no hook for another one; so the app has a DocType of its own that reads
like it (document type, event, condition, a Jinja message, attach print) and adds what a chat needs:
the inbox, and the WhatsApp template to use outside the 24-hour window.

Every firing becomes a Chatwoot Document Send under a key of what fired it
(notifying.firing_key), so a document saved twice, a job run twice or a day's run repeated sends
once; a firing with nobody to send to is kept as a failed send that says so.
"""

import json

import frappe
from frappe import _
from frappe.utils import cint, getdate, nowdate
from frappe.utils.jinja import validate_template

from chat_bridge.documents.choices import Field, party_fields
from chat_bridge.documents.notifying import (
	DATE_EVENTS,
	VALUE_CHANGE,
	date_for,
	events_of,
	firing_key,
	template_params,
	value_changed,
)
from chat_bridge.documents.send import queue_send, recipient
from chat_bridge.features import Feature
from chat_bridge.settings import feature_enabled, get_settings

NOTIFICATION_DOCTYPE = "Chatwoot Notification"
_NOTIFIED_KEY = "chat_bridge:notified_doctypes"
NOTIFICATION_SENDER = "Administrator"  # a notification is the site's, sent with the administrator's token


def notified_doctypes() -> frozenset[str]:
	"""The DocTypes some enabled notification is about: every save on the site asks, so it is kept."""
	kept = frappe.cache.get_value(_NOTIFIED_KEY)
	if kept is None:
		try:
			kept = sorted(set(frappe.get_all(NOTIFICATION_DOCTYPE, {"enabled": 1}, pluck="document_type")))
		except frappe.db.TableMissingError:
			return frozenset()  # the app is being installed: its own tables come later
		frappe.cache.set_value(_NOTIFIED_KEY, kept)
	return frozenset(kept)


def forget_notified_doctypes() -> None:
	frappe.cache.delete_value(_NOTIFIED_KEY)


def validate_notification(notification) -> None:
	meta = frappe.get_meta(notification.document_type)
	if not party_fields(Field(f.fieldname, f.fieldtype, f.options) for f in meta.fields).names_anyone:
		frappe.throw(
			_("{0} names no customer or contact, so there is nobody to send it to.").format(
				_(notification.document_type)
			)
		)
	if notification.event == VALUE_CHANGE and not meta.has_field(notification.value_changed or ""):
		frappe.throw(
			_("{0} has no field {1}.").format(_(notification.document_type), notification.value_changed)
		)
	if notification.event in DATE_EVENTS:
		field = meta.get_field(notification.date_field or "")
		if not field or field.fieldtype not in ("Date", "Datetime"):
			frappe.throw(
				_("{0} has no date field {1}.").format(_(notification.document_type), notification.date_field)
			)
	if notification.condition:
		try:
			compile(notification.condition, "condition", "eval")
		except SyntaxError:
			frappe.throw(_("The condition is not a Python expression: {0}").format(notification.condition))
	validate_template(notification.message)
	if notification.template_parameters:
		validate_template(notification.template_parameters)


def on_document_event(doc, method: str) -> None:
	"""doc_events "*": fire the notifications of this document's event. Costs one cache read for a
	DocType no notification is about."""
	if frappe.flags.in_install or frappe.flags.in_migrate or not events_of(method):
		return
	if doc.doctype not in notified_doctypes():
		return
	if not feature_enabled(Feature.DOCUMENTS):
		return
	for event in events_of(method):
		for notification in notifications_for(doc.doctype, event):
			if event == VALUE_CHANGE:
				if not value_changed(doc.get_doc_before_save(), doc, notification.value_changed):
					continue
				fire_safely(notification, doc, event, moment=str(doc.modified))
			else:
				fire_safely(notification, doc, event)


def send_date_notifications() -> None:
	"""Daily: the notifications of the days before or after a document's date."""
	if not feature_enabled(Feature.DOCUMENTS):
		return
	today = getdate(nowdate())
	for event in DATE_EVENTS:
		for notification in notifications_for(None, event):
			target = date_for(event, cint(notification.days), today)
			filters = {notification.date_field: target, "docstatus": ("<", 2)}
			for name in frappe.get_all(notification.document_type, filters, pluck="name"):
				fire_safely(
					notification, frappe.get_doc(notification.document_type, name), event, moment=str(target)
				)


def notifications_for(doctype: str | None, event: str) -> list:
	filters = {"enabled": 1, "event": event}
	if doctype:
		filters["document_type"] = doctype
	return [
		frappe.get_doc(NOTIFICATION_DOCTYPE, name)
		for name in frappe.get_all(NOTIFICATION_DOCTYPE, filters, pluck="name")
	]


def fire_safely(notification, doc, event: str, moment: str = "") -> str | None:
	"""Fire a notification without letting its own faults (a condition or a message that fails on
	this document) stop the save it fires in, or the day's run: each is logged with its name."""
	try:
		return fire(notification, doc, event, moment)
	except Exception:
		frappe.log_error(
			title=_("Chatwoot Notification {0} failed on {1} {2}").format(
				notification.name, doc.doctype, doc.name
			),
			reference_doctype=NOTIFICATION_DOCTYPE,
			reference_name=notification.name,
		)
		return None


def fire(notification, doc, event: str, moment: str = "") -> str | None:
	"""Queue the notification's send for `doc` (once per firing), or nothing when its condition
	does not hold."""
	if notification.condition and not frappe.safe_eval(notification.condition, None, {"doc": doc}):
		return None
	contact = recipient(doc)
	context = {"doc": doc, "_": _}
	parameters = [
		frappe.render_template(line, context)
		for line in (notification.template_parameters or "").splitlines()
		if line.strip()
	]
	template = template_params(notification.template_name, notification.template_language, parameters)
	return queue_send(
		{
			"reference_doctype": doc.doctype,
			"reference_name": doc.name,
			"contact": contact,
			"account_id": cint(get_settings().account_id),
			"inbox_id": notification.inbox_id,
			"message": frappe.render_template(notification.message, context),
			"attach_print": notification.attach_print,
			"print_format": notification.print_format,
			"template_params": json.dumps(template) if template else None,
			"notification": notification.name,
			"sent_by": NOTIFICATION_SENDER,
		},
		firing_key(notification.name, doc.doctype, doc.name, event, moment),
		refused=None
		if contact
		else _("{0} {1} names no contact to send it to.").format(_(doc.doctype), doc.name),
	)
