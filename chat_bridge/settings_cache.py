"""The rollout flags and secrets of the settings as every process reads them, fast and never stale.

Flags are read on every request and job, so they are cached in Redis, shared by web and workers.
A cache filled from a transaction's own snapshot can go stale for good: a job whose snapshot is
older than a save reads the old row after the save cleared the key, and puts the old values back.
So the cache is only ever filled with what is committed now, read through a connection of its
own, and only when no save has come in between (a generation, compared in Redis). Each save draws
a new generation at random rather than counting: Frappe's clear-cache deletes the key, and a count
started again would come back to a value a process has kept values under.

What that promises: a save through Frappe (the form, the REST API, `chatwoot rollout`) is what
every process reads as soon as it has committed; a value written behind Frappe's back (SQL, a
restored backup) is read within FLAGS_TTL seconds. The transaction that saves reads its own
values until it commits.

Secrets never go to Redis: a process keeps what it read (as committed, the same way) only while
the generation holds, and a minute at most.
"""

import json
import time
import uuid
from contextlib import contextmanager
from typing import NamedTuple

import frappe
import redis
from frappe.database import get_db
from frappe.utils import cint
from frappe.utils.password import decrypt, get_decrypted_password

from chat_bridge.features import FLAG_LABELS

SETTINGS_DOCTYPE = "Chatwoot Integration Settings"
# With the first account's id, which the intake needs to know which secret a delivery is signed with.
FLAG_FIELDS = (*FLAG_LABELS, "allow_unsigned_webhooks", "account_id")
FLAGS_TTL = 1  # seconds: the bound for values written behind Frappe's back
SECRET_TTL = 60  # seconds
# (site, doctype, name or "*" for all of them, fieldname) → (generation, until, what was read)
_secrets: dict[tuple[str, str, str, str], tuple[bytes, float, object]] = {}
_FLAGS_KEY = "chat_bridge:flags"
_GENERATION_KEY = "chat_bridge:flags_generation"
# Set the flags only if no save has bumped the generation since the filler read it.
_FILL_IF_CURRENT = """
if (redis.call('GET', KEYS[2]) or '0') == ARGV[1] then
	redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
	return 1
end
return 0
"""


class FlagsRead(NamedTuple):
	"""The flags, and the generation of the settings they were read under: None while Redis is
	away or in the transaction that saved the settings, when no secret may be kept."""

	flags: dict
	generation: bytes | None


def get_flags() -> dict:
	"""The rollout flags and Allow Unsigned Webhooks, as committed (or as saved by this transaction)."""
	return read_flags().flags


def read_flags() -> FlagsRead:
	"""The flags and their generation, in one Redis round trip when the flags are cached.

	The webhook reads both on every delivery (the flags to gate it, the generation to use the
	secret it keeps), so they come together.
	"""
	saved_here = frappe.flags.chat_bridge_saved_flags
	if saved_here is not None:
		return FlagsRead(dict(saved_here), None)
	try:
		cached, generation = frappe.cache.mget([_key(_FLAGS_KEY), _key(_GENERATION_KEY)])
	except redis.exceptions.ConnectionError:
		return FlagsRead(read_committed_flags(), None)
	generation = generation or b"0"
	if cached is not None:
		return FlagsRead(json.loads(cached), generation)
	flags = read_committed_flags()
	try:
		frappe.cache.eval(
			_FILL_IF_CURRENT,
			2,
			_key(_FLAGS_KEY),
			_key(_GENERATION_KEY),
			generation,
			json.dumps(flags),
			FLAGS_TTL,
		)
	except redis.exceptions.ConnectionError:
		pass
	return FlagsRead(flags, generation)


def _key(name: str) -> bytes:
	return frappe.cache.make_key(name)


def flags_of(values) -> dict:
	return {flag: cint(values.get(flag)) for flag in FLAG_FIELDS}


@contextmanager
def committed_reader():
	"""A connection of its own, which sees what is committed right now whatever snapshot this
	process's transaction is in."""
	conf = frappe.local.conf
	db = get_db(
		socket=conf.db_socket,
		host=conf.db_host,
		port=conf.db_port,
		user=conf.db_user or conf.db_name,
		password=conf.db_password,
		cur_db_name=conf.db_name,
	)
	db.connect()
	try:
		yield db
	finally:
		db.close()


def read_committed_flags() -> dict:
	"""The flags as committed right now."""
	with committed_reader() as db:
		rows = db.sql(
			"select field, value from `tabSingles` where doctype = %s and field in %s",
			(SETTINGS_DOCTYPE, FLAG_FIELDS),
		)
	return flags_of(dict(rows))


def read_committed_secret(
	fieldname: str, doctype: str = SETTINGS_DOCTYPE, name: str = SETTINGS_DOCTYPE
) -> str | None:
	"""A Password field (of the settings, unless another document is named) as committed right
	now, decrypted."""
	with committed_reader() as db:
		rows = db.sql(
			"""select password from `__Auth`
			where doctype = %s and name = %s and fieldname = %s and encrypted = 1 limit 1""",
			(doctype, name, fieldname),
		)
	if not (rows and rows[0][0]):
		return None
	return decrypt(rows[0][0], key=f"{doctype}.{name}.{fieldname}")


def read_flags_in_transaction() -> dict:
	"""The flags as this transaction sees them, its own uncommitted writes included."""
	return flags_of(frappe.db.get_singles_dict(SETTINGS_DOCTYPE))


def clear_flags_cache() -> None:
	"""Make every process read the flags afresh: any filler still holding the old generation is turned away."""
	try:
		frappe.cache.set(_key(_GENERATION_KEY), uuid.uuid4().hex)
		frappe.cache.delete(_key(_FLAGS_KEY))
	except redis.exceptions.ConnectionError:
		pass  # nothing is cached while Redis is away


def on_settings_saved(settings) -> None:
	"""This transaction reads the values it saved; everyone else reads them once it commits."""
	frappe.flags.chat_bridge_saved_flags = flags_of(settings.as_dict())
	frappe.db.after_commit.add(_forget_saved_flags)
	frappe.db.after_commit.add(clear_flags_cache)
	frappe.db.after_rollback.add(_forget_saved_flags)


def _forget_saved_flags() -> None:
	frappe.flags.chat_bridge_saved_flags = None


def get_secret(
	fieldname: str,
	read: FlagsRead | None = None,
	*,
	doctype: str = SETTINGS_DOCTYPE,
	name: str = SETTINGS_DOCTYPE,
) -> str | None:
	"""A Password field of the settings (or of the Chatwoot Account `name`), decrypted; None when
	it is not set.

	The webhook asks on every delivery, so the answer is kept in this process (never in Redis)
	for as long as the settings' generation stays the same, SECRET_TTL at most: a save bumps the
	generation after its commit, and the bound covers a save made while Redis was away. What is
	kept is read as committed, on a connection of its own: read in a snapshot older than the save,
	the old secret would be kept under the new generation and every delivery refused for a minute.
	A caller that has just read the flags passes that read, and the generation is not asked again.
	A Chatwoot Account's save bumps the same generation.
	"""
	generation = read.generation if read else _current_generation()
	if generation is None:
		# Nothing is kept: while Redis is away no save could be noticed, and a transaction that
		# saved the settings reads its own values.
		return get_decrypted_password(doctype, name, fieldname, raise_exception=False) or None
	key = (frappe.local.site, doctype, name, fieldname)
	kept = _secrets.get(key)
	if kept and kept[0] == generation and kept[1] > time.monotonic():
		return kept[2]
	value = read_committed_secret(fieldname, doctype, name)
	_secrets[key] = (generation, time.monotonic() + SECRET_TTL, value)
	return value


def get_secrets_of(doctype: str, fieldname: str, read: FlagsRead | None = None) -> dict[str, str]:
	"""A Password field of every document of `doctype`, decrypted, by document name; kept as
	get_secret keeps one, and read all at once, so that asking about a name no document has (a
	webhook URL naming an account that is not there) costs no database read."""
	generation = read.generation if read else _current_generation()
	if generation is None:
		return _read_secrets_of(frappe.db, doctype, fieldname)
	key = (frappe.local.site, doctype, "*", fieldname)
	kept = _secrets.get(key)
	if kept and kept[0] == generation and kept[1] > time.monotonic():
		return kept[2]
	with committed_reader() as db:
		value = _read_secrets_of(db, doctype, fieldname)
	_secrets[key] = (generation, time.monotonic() + SECRET_TTL, value)
	return value


def _read_secrets_of(db, doctype: str, fieldname: str) -> dict[str, str]:
	rows = db.sql(
		"""select name, password from `__Auth`
		where doctype = %s and fieldname = %s and encrypted = 1""",
		(doctype, fieldname),
	)
	return {
		name: decrypt(password, key=f"{doctype}.{name}.{fieldname}") for name, password in rows if password
	}


def _current_generation() -> bytes | None:
	"""The settings' generation; None when no secret may be kept (as FlagsRead.generation)."""
	if frappe.flags.chat_bridge_saved_flags is not None:
		return None
	try:
		return frappe.cache.get(_key(_GENERATION_KEY)) or b"0"
	except redis.exceptions.ConnectionError:
		return None
