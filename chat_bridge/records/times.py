"""Chatwoot's moments (aware, UTC) and the site's (naive, in its system time zone), both ways."""

from datetime import datetime, timezone

from frappe.utils import convert_utc_to_system_timezone, get_datetime, get_system_timezone
from pytz import timezone as zone


def to_site_time(moment: datetime | None) -> datetime | None:
	"""A Chatwoot moment as Frappe stores datetimes: naive, in the site's time zone."""
	if moment is None:
		return None
	return convert_utc_to_system_timezone(moment).replace(tzinfo=None)


def to_utc(value) -> datetime | None:
	"""A site-local naive datetime (as Frappe hands them out), to compare with Chatwoot's UTC times."""
	if value is None:
		return None
	return zone(get_system_timezone()).localize(get_datetime(value)).astimezone(timezone.utc)
