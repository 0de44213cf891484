"""Small checks and conversions for values sent to Chatwoot."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Chatwoot's attachment limit unless the installation sets MAXIMUM_FILE_UPLOAD_SIZE
# (app/models/attachment.rb, validate_file_size).
ATTACHMENT_LIMIT_BYTES = 40 * 1024 * 1024


@dataclass(frozen=True)
class Upload:
	"""A file to send as a message's attachment."""

	filename: str
	content: bytes
	content_type: str = "application/pdf"


def record_id(value: Any) -> int:
	"""A record id for a URL path: a positive integer, never text that could change the path."""
	if isinstance(value, bool):
		raise ValueError(f"Not a Chatwoot id: {value!r}")
	try:
		number = int(str(value).strip())
	except ValueError:
		raise ValueError(f"Not a Chatwoot id: {value!r}") from None
	if number <= 0:
		raise ValueError(f"Not a Chatwoot id: {value!r}")
	return number


def check_choice(name: str, value: Any, choices: Iterable[str]) -> None:
	choices = tuple(choices)
	if value not in choices:
		raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def drop_none(values: Mapping[str, Any] | None) -> dict | None:
	if values is None:
		return None
	return {key: value for key, value in values.items() if value is not None}


def unix_time(value: datetime | int | float | None) -> int | None:
	if value is None:
		return None
	if isinstance(value, datetime):
		return int(value.timestamp())
	return int(value)
