"""/chatwoot-app: the customer card, framed by Chatwoot as a Dashboard App.

The page itself holds no data: what it shows is asked for by its script, as the viewer. The page
has none of the desk's scripts either, so it carries its script's own strings in the viewer's
language.
"""

import json
from functools import cache
from pathlib import Path

import frappe
from frappe import _

from chat_bridge.features import Feature
from chat_bridge.frame_headers import chatwoot_origin
from chat_bridge.settings import feature_enabled, get_settings

no_cache = 1
CARD_SCRIPT = Path(__file__).resolve().parents[2] / "public" / "js" / "chatwoot_card.js"


def get_context(context):
	context.no_header = context.no_breadcrumbs = True
	context.lang = frappe.local.lang
	context.card_config = json.dumps(
		{
			"enabled": feature_enabled(Feature.CHATWOOT_APP),
			"chatwoot_origin": chatwoot_origin(get_settings().chatwoot_url),
			"messages": card_messages(),
		}
	).replace("</", "<\\/")


def card_messages() -> dict[str, str]:
	"""The card script's strings that read differently in the viewer's language."""
	translated = {message: _(message) for message in script_strings()}
	return {message: text for message, text in translated.items() if text != message}


@cache
def script_strings() -> tuple[str, ...]:
	"""What the card's script passes to `__()`, found as Frappe finds a script's strings."""
	from frappe.gettext.extractors.utils import extract_messages_from_code

	return tuple(
		{message for _line, message, _context in extract_messages_from_code(CARD_SCRIPT.read_text())}
	)
