"""Which way a mapped contact's changes flow: its Contact Mapping's Sync Direction."""

from enum import Enum


class SyncDirection(str, Enum):
	BOTH = "Both"
	CHATWOOT_TO_ERPNEXT = "Chatwoot to ERPNext"
	ERPNEXT_TO_CHATWOOT = "ERPNext to Chatwoot"

	@classmethod
	def of(cls, value: str | None) -> "SyncDirection":
		"""The direction a mapping holds; an empty or unknown value means Both, the default."""
		try:
			return cls(value)
		except ValueError:
			return cls.BOTH

	@property
	def accepts_chatwoot_changes(self) -> bool:
		return self is not SyncDirection.ERPNEXT_TO_CHATWOOT

	@property
	def pushes_erpnext_changes(self) -> bool:
		return self is not SyncDirection.CHATWOOT_TO_ERPNEXT
