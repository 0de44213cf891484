"""Everything that speaks Chatwoot, with no Frappe in it: the REST clients, their errors,
webhook signatures and event payloads.

	from chat_bridge.chatwoot import ChatwootAPI
	api = ChatwootAPI("https://chat.example.com", token, account_id=3)
	for conversation in api.iter_conversations(status="open"):
		...
"""

from chat_bridge.chatwoot.client import ChatwootAPI
from chat_bridge.chatwoot.errors import (
	AccountAccessError,
	AuthenticationError,
	ChatwootConnectionError,
	ChatwootError,
	ChatwootHTTPError,
	ChatwootTimeoutError,
	ConfigurationError,
	ForbiddenError,
	NotFoundError,
	NotPermissibleError,
	RateLimitError,
	ServerError,
	ValidationError,
)
from chat_bridge.chatwoot.platform import PlatformAPI
from chat_bridge.chatwoot.retry import NO_RETRY, RetryPolicy

__all__ = [
	"NO_RETRY",
	"AccountAccessError",
	"AuthenticationError",
	"ChatwootAPI",
	"ChatwootConnectionError",
	"ChatwootError",
	"ChatwootHTTPError",
	"ChatwootTimeoutError",
	"ConfigurationError",
	"ForbiddenError",
	"NotFoundError",
	"NotPermissibleError",
	"PlatformAPI",
	"RateLimitError",
	"RetryPolicy",
	"ServerError",
	"ValidationError",
]
