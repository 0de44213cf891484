"""Chatwoot clients built from the site: an account's administrator token, or a user's own token.

	from chat_bridge.clients import system_client
	api = system_client()
	api.get_account()

A user who stored their own Chatwoot User Token acts in Chatwoot as themselves, so a reply sent from
the desk appears under their name. Only System Managers, who administer the integration anyway, may
fall back to the administrator token when they have none.
"""

import hashlib
import uuid

import frappe
import redis
from frappe import _

from chat_bridge.accounts import Account, first_account_id, get_account, member_accounts
from chat_bridge.chatwoot import ChatwootAPI, PlatformAPI, RetryPolicy
from chat_bridge.chatwoot.ratelimit import DEFAULT_RATE, SPARE
from chat_bridge.exceptions import IncompleteConfigurationError
from chat_bridge.permissions import is_chatwoot_admin

__all__ = [
	"INTERACTIVE_RETRY",
	"ChatwootAPI",
	"PlatformAPI",
	"platform_client",
	"system_client",
	"token_client",
	"user_client",
]

USER_TOKEN_DOCTYPE = "Chatwoot User Token"  # noqa: S105 -- a DocType name
# Every process of the bench, its requests to one Chatwoot in the last second, by when they went.
PACE_KEY = "chat_bridge:chatwoot_pace:{url}"
_TAKE_SLOT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
	redis.call('ZADD', KEYS[1], now, ARGV[3])
	redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
	return '0'
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return tostring(oldest + window - now)
"""


class SharedPace:
	"""A slot among the requests every process of the bench makes to one Chatwoot, taken in Redis
	(on its clock, so that hosts need not agree on theirs); 0, or the seconds to wait first."""

	def __init__(self, base_url: str, rate: float = DEFAULT_RATE):
		digest = hashlib.sha256(base_url.encode()).hexdigest()[:16]
		self.key, self.rate = PACE_KEY.format(url=digest), rate
		# The connection, not frappe.local: a backfill asks from its prefetching thread too.
		self.take_slot = frappe.cache.register_script(_TAKE_SLOT)

	def __call__(self) -> float:
		try:
			return float(
				self.take_slot(keys=[self.key], args=[1.0 + SPARE, int(self.rate), uuid.uuid4().hex])
			)
		except redis.exceptions.RedisError:
			return 0.0  # Redis is away: the process's own pace still holds


def paced(client):
	"""The client, keeping to the one pace of all the bench's processes with its Chatwoot."""
	limiter = client.transport.limiter
	if limiter.shared is None:
		limiter.shared = SharedPace(client.base_url)
	return client


# Someone is waiting in the desk: fail within seconds rather than retry for half a minute.
INTERACTIVE_RETRY = RetryPolicy(max_attempts=3, max_delay=2.0, max_total=5.0, rate_limit_window=None)


def _location(account_id: int | None = None) -> Account:
	account = get_account(account_id)
	if not account.chatwoot_url:
		frappe.throw(
			_("Set the Chatwoot URL and Account ID in Chatwoot Integration Settings first."),
			IncompleteConfigurationError,
		)
	return account


def token_client(
	token: str, account_id: int | None = None, *, retry: RetryPolicy | None = None
) -> ChatwootAPI:
	"""A client with `token` on the account `account_id` (the first account when None), keeping to
	the bench's one pace like every other client."""
	account = _location(account_id)
	return paced(ChatwootAPI(account.chatwoot_url, token, account.account_id, retry=retry))


def system_client(*, account_id: int | None = None, retry: RetryPolicy | None = None) -> ChatwootAPI:
	"""A client with the administrator token of the account `account_id` (the first account, the
	settings' one, when None), for jobs and system-level calls."""
	account = _location(account_id)  # the URL and account are missing more often than the token
	token = account.token
	if not token:
		frappe.throw(
			_("Set an administrator's API Access Token in Chatwoot Integration Settings first.")
			if account.first
			else _("Set an administrator's API Access Token in Chatwoot Account {0} first.").format(
				account.account_id
			),
			IncompleteConfigurationError,
		)
	return token_client(token, account.account_id, retry=retry)


def user_client(
	user: str | None = None, *, account_id: int | None = None, retry: RetryPolicy | None = INTERACTIVE_RETRY
) -> ChatwootAPI:
	"""A client acting as `user` (default: the session user) in Chatwoot, in the account of their
	token (or `account_id`, when it names one).

	Uses the user's own Chatwoot User Token, which Chatwoot takes in every account the user is a
	member of (a token is the user's, app/models/concerns/access_tokenable.rb:4, and an account
	opens to its members, app/controllers/concerns/ensure_current_account_helper.rb:21-22): the
	token's own account, and those this site provisioned them in. Otherwise a System Manager
	gets the account's administrator token and anyone else is refused.
	"""
	user = user or frappe.session.user
	token, token_account = _user_token(user)
	token_account = token_account or first_account_id()
	if token and (account_id in (None, token_account) or account_id in member_accounts(user)):
		return token_client(token, account_id or token_account, retry=retry)
	if is_chatwoot_admin(user):
		return system_client(account_id=account_id, retry=retry)
	if token:
		frappe.throw(
			_("Your Chatwoot token is for account {0}, not {1}.").format(token_account, account_id),
			frappe.PermissionError,
		)
	frappe.throw(
		_(
			"You have no Chatwoot token: add yours in Chatwoot User Token (Chatwoot → Profile Settings → Access Token)."
		),
		frappe.PermissionError,
	)


def has_user_token(user: str | None = None) -> bool:
	return bool(frappe.db.exists(USER_TOKEN_DOCTYPE, user or frappe.session.user))


def _user_token(user: str) -> tuple[str | None, int | None]:
	if not has_user_token(user):
		return None, None
	record = frappe.get_doc(USER_TOKEN_DOCTYPE, user)
	return record.get_password("api_access_token", raise_exception=False), record.account_id or None


def platform_client(*, account_id: int | None = None, retry: RetryPolicy | None = None) -> PlatformAPI:
	"""A Platform API client for the installation of the account `account_id` (the first when None)."""
	account = _location(account_id)
	token = account.platform_token()
	if not token:
		frappe.throw(
			_("Set a Platform API Token in Chatwoot Integration Settings first.")
			if account.first
			else _("Set a Platform API Token in Chatwoot Account {0} first.").format(account.account_id),
			IncompleteConfigurationError,
		)
	return paced(PlatformAPI(account.chatwoot_url, token, retry=retry))
