"""Errors the app raises inside Frappe, each with the HTTP status a desk or REST caller should see."""

import frappe


class FeatureDisabledError(frappe.ValidationError):
	"""A rollout flag keeps this feature off."""

	http_status_code = 403


class IncompleteConfigurationError(frappe.ValidationError):
	"""Chatwoot Integration Settings lack what the switched-on features need."""


class ChatwootRequestError(frappe.ValidationError):
	"""Chatwoot refused or failed a request made on the user's behalf."""

	http_status_code = 502


class ChatwootUnavailableError(ChatwootRequestError):
	"""Chatwoot is unreachable or rate limiting; trying again later may work."""

	http_status_code = 503


class AgentLimitReached(frappe.ValidationError):
	"""Provisioning one more Chatwoot agent would go over the settings' Max Agents."""
