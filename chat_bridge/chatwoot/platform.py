"""The Chatwoot Platform API: provisioning users and accounts with a platform app's token.

A platform app may only touch the users and accounts it created or was given access to.
"""

from typing import Any

from chat_bridge.chatwoot.retry import RetryPolicy
from chat_bridge.chatwoot.transport import DEFAULT_TIMEOUT, Transport
from chat_bridge.chatwoot.values import check_choice, record_id


class PlatformAPI:
	def __init__(
		self,
		base_url: str,
		platform_token: str,
		*,
		timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
		retry: RetryPolicy | None = None,
		transport: Transport | None = None,
	):
		self.transport = transport or Transport(base_url, platform_token, timeout=timeout, retry=retry)
		self.base_url = self.transport.base_url

	def __repr__(self) -> str:
		return f"PlatformAPI({self.base_url!r})"

	def close(self) -> None:
		self.transport.close()

	def create_user(self, name: str, email: str, password: str, **fields) -> dict:
		"""The user, with the `access_token` for the Application API. An existing email returns that user."""
		body = {"name": name, "email": email, "password": password, **fields}
		return self.transport.request("POST", "/platform/api/v1/users", json_body=body)

	def create_account(self, name: str, **fields) -> dict:
		return self.transport.request("POST", "/platform/api/v1/accounts", json_body={"name": name, **fields})

	def add_account_user(self, account_id: int, user_id: int, role: str = "agent") -> dict:
		"""Only on an account the platform app created or was given; others answer 401 "Non permissible
		resource" (app/controllers/platform_controller.rb:31-36), where POST /agents is the way in."""
		check_choice("role", role, ("agent", "administrator"))
		return self.transport.request(
			"POST",
			f"/platform/api/v1/accounts/{record_id(account_id)}/account_users",
			json_body={"user_id": record_id(user_id), "role": role},
			idempotent=True,
		)

	def remove_account_user(self, account_id: int, user_id: int) -> Any:
		"""Take the user out of the account; the Chatwoot user itself stays."""
		return self.transport.request(
			"DELETE",
			f"/platform/api/v1/accounts/{record_id(account_id)}/account_users",
			json_body={"user_id": record_id(user_id)},
		)

	def delete_user(self, user_id: int) -> Any:
		"""Delete the Chatwoot user (Chatwoot does it in the background)."""
		return self.transport.request("DELETE", f"/platform/api/v1/users/{record_id(user_id)}")

	def get_sso_link(self, user_id: int) -> dict:
		"""`{url}`: a one-time sign-in link, valid for five minutes."""
		return self.transport.request("GET", f"/platform/api/v1/users/{record_id(user_id)}/login")

	def get_user(self, user_id: int) -> Any:
		"""The user, with their `access_token`; 401 "Non permissible resource" for a user this
		platform app neither created nor claimed."""
		return self.transport.request("GET", f"/platform/api/v1/users/{record_id(user_id)}")
