"""The mock's own controls, which Chatwoot has none of: what the customer does, generated data,
faults, and bursts of deliveries for load tests; as Python methods and as `/__mock/…` routes for
a harness that runs the mock as a process of its own."""

import random
import secrets
import threading
import time

from tests.mock_chatwoot_api.errors import ApiError, not_found
from tests.mock_chatwoot_api.routing import CONTROL, route


class CustomerActions:
	"""What happens on the customer's side of a conversation, and generated data (mixed into MockChatwoot)."""

	def customer_says(self, display_id: int, content: str, account_id: int | None = None) -> dict:
		"""The customer writes in a conversation, as the widget or a channel would."""
		with self._lock:
			conversation = self.conversation(display_id, account_id)
			return self.create_message(conversation, {"content": content, "message_type": "incoming"})

	def visitor_says(self, contact_id: int, content: str, inbox_id: int = 7) -> dict:
		"""A website visitor writes in the widget: into their last conversation of the inbox, whatever
		its status (a resolved one reopens), or a new one."""
		with self._lock:
			contact = self.contacts[contact_id]
			inbox = self.inboxes[inbox_id]
			contact_inbox = self.contact_inbox_for(contact, inbox)
			mine = [
				c
				for c in self.all_conversations(inbox["account_id"])
				if c["contact_inbox_id"] == contact_inbox["id"]
			]
			conversation = (
				mine[-1]
				if mine
				else self.create_conversation(
					{"inbox_id": inbox_id, "contact_id": contact_id, "contact_inbox_id": contact_inbox["id"]}
				)
			)
			return self.create_message(conversation, {"content": content, "message_type": "incoming"})

	def visitor_views(self, display_id: int, account_id: int | None = None) -> None:
		"""The visitor opens the conversation in the widget: every message of the team that was sent
		or delivered becomes read, one message_updated each (private notes too)."""
		with self._lock:
			conversation = self.conversation(display_id, account_id)
			conversation["contact_last_seen_at"] = self.clock()
			for message in self.messages_of(conversation):
				if message["message_type"] != 0 and message["status"] in ("sent", "delivered"):
					self.update_message(message, status="read")

	def rate_conversation(self, display_id: int, rating: int, account_id: int | None = None) -> dict:
		"""The customer answers the CSAT survey of a conversation (1 to 5)."""
		with self._lock:
			conversation = self.conversation(display_id, account_id)
			response = {
				"account_id": conversation["account_id"],
				"conversation_id": conversation["id"],
				"rating": rating,
				"assigned_agent_id": conversation["assignee_id"],
				"created_at": self.clock(),
			}
			self.csat_responses.append(response)
			return response

	def add_contacts(self, count: int, prefix: str = "bulk", account_id: int | None = None) -> None:
		with self._lock:
			for _ in range(count):
				number = self._ids["contact"] + 1
				self.store_contact(
					{
						"account_id": account_id or self.default_account_id,
						"name": f"{prefix} {number}",
						"email": f"{prefix}{number}@example.com",
					},
					self.clock(),
				)

	def add_conversations(self, count: int, messages_each: int = 1, inbox_id: int = 8) -> None:
		"""`count` conversations of the contacts there are (round robin), each with a few messages."""
		with self._lock:
			inbox = self.inboxes[inbox_id]
			contacts = [c for c in self.contacts if self.contacts[c]["account_id"] == inbox["account_id"]]
			for number in range(count):
				conversation = self.store_conversation(
					{
						"account_id": inbox["account_id"],
						"inbox_id": inbox_id,
						"contact_id": contacts[number % len(contacts)],
					},
					self.clock(),
				)
				for turn in range(messages_each):
					self.store_message(
						conversation,
						{
							"content": f"Message {turn} of conversation {conversation['id']}",
							"message_type": "incoming" if turn % 2 == 0 else "outgoing",
						},
						self.clock(),
					)

	# Bursts: a busy Chatwoot's deliveries, made up front and sent by many senders at once

	def start_burst(
		self,
		deliveries: int,
		*,
		duplicates: int = 0,
		window: int = 50,
		senders: int = 20,
		rate: float | None = None,
		events: list[str] | None = None,
		seed: int = 7,
	) -> "Burst":
		"""Make up activity (contacts writing in, agents answering, assigning and resolving) until
		`deliveries` webhook deliveries are due (a conversation's worth more, at most), of the `events`
		named or of every kind; shuffle them within windows of `window`; send `duplicates` of them a
		second time, a little later; and send them all from `senders` threads, at most `rate` a second.
		Unlike Chatwoot, a burst's payloads are made up front."""
		if self.burst is not None and not self.burst.done:
			raise ApiError(409, {"error": "A burst is still being sent."})
		rng = random.Random(seed)
		with self._lock:
			self._held = []
			try:
				self._make_activity(deliveries, rng, set(events or ()))
			finally:
				held, self._held = self._held, None
			items = [(job, {**job.build(), "event": job.event}, job.delivery_id, False) for job in held]
		for start in range(0, len(items), window):
			part = items[start : start + window]
			rng.shuffle(part)
			items[start : start + window] = part
		for index in sorted(rng.sample(range(len(items)), min(duplicates, len(items))), reverse=True):
			job, payload, delivery_id, _ = items[index]
			items.insert(min(len(items), index + rng.randint(1, window)), (job, payload, delivery_id, True))
		self.burst = Burst(self, items, senders, rate).start()
		return self.burst

	def _make_activity(self, deliveries: int, rng: random.Random, events: set[str]) -> None:
		agents = [user["id"] for user in self.members(self.default_account_id)]
		tag = secrets.token_hex(3)
		number = 0
		while self._held_count(events) < deliveries:
			number += 1
			contact = self.create_contact(
				{"name": f"Burst {tag} {number}", "email": f"burst-{tag}-{number}@example.com"}
			)
			for _ in range(rng.randint(1, 2)):
				conversation = self.create_conversation({"inbox_id": 8, "contact_id": contact["id"]})
				if rng.random() < 0.5:
					self.change_conversation(conversation, assignee_id=rng.choice(agents))
				for turn in range(rng.randint(1, 6)):
					outgoing = turn % 2 == 1
					self.create_message(
						conversation,
						{
							"content": f"Message {turn} of conversation {conversation['id']}",
							"message_type": "outgoing" if outgoing else "incoming",
							**(
								{"sender_type": "User", "sender_id": conversation["assignee_id"] or agents[0]}
								if outgoing
								else {}
							),
						},
					)
				if rng.random() < 0.3:
					self.change_conversation(conversation, status="resolved")
		if events:
			self._held = [job for job in self._held if job.event in events]

	def _held_count(self, events: set[str]) -> int:
		if not events:
			return len(self._held)
		return sum(1 for job in self._held if job.event in events)


class Burst:
	"""Deliveries sent from several threads at once; what each answered, and when."""

	def __init__(self, mock, items: list, senders: int, rate: float | None):
		self.mock, self.items, self.senders, self.rate = mock, items, max(1, senders), rate
		self.results: list[dict | None] = [None] * len(items)
		self._next = 0
		self._lock = threading.Lock()
		self.started = self.finished = None
		self._running = 0

	@property
	def done(self) -> bool:
		return self.finished is not None

	def start(self) -> "Burst":
		self.started = time.monotonic()
		self._running = self.senders
		for _ in range(self.senders):
			threading.Thread(target=self._send, daemon=True).start()
		return self

	def _send(self) -> None:
		while True:
			with self._lock:
				index, self._next = self._next, self._next + 1
			if index >= len(self.items):
				break
			if self.rate:
				time.sleep(max(0.0, self.started + index / self.rate - time.monotonic()))
			job, payload, delivery_id, duplicate = self.items[index]
			at = time.monotonic() - self.started
			delivery = self.mock.post_delivery(job, payload)
			self.results[index] = {
				"at": round(at, 3),
				"event": delivery["event"],
				"id": payload.get("id"),
				"delivery_id": delivery_id,
				"duplicate": duplicate,
				"status": delivery["status"],
				"ms": round(delivery["seconds"] * 1000, 1),
				"answer": None
				if delivery["status"] and delivery["status"] < 300
				else delivery["answer"][:200],
			}
		with self._lock:
			self._running -= 1
			if self._running == 0:
				self.finished = time.monotonic()

	def report(self, detail: bool = False) -> dict:
		sent = [r for r in self.results if r is not None]
		statuses: dict[str, int] = {}
		for result in sent:
			statuses[str(result["status"])] = statuses.get(str(result["status"]), 0) + 1
		return {
			"deliveries": len(self.items),
			"unique": len({delivery_id for _j, _p, delivery_id, _d in self.items}),
			"sent": len(sent),
			"done": self.done,
			"seconds": round((self.finished or time.monotonic()) - self.started, 3),
			"statuses": statuses,
			**({"results": sent} if detail else {}),
		}


def control_faults(mock, context, params, query, body):
	"""{status, times, method?, path_contains?, delay?}: the next matching requests fail so."""
	mock.fail_next(
		int(body["status"]),
		int(body.get("times", 1)),
		method=body.get("method"),
		path_contains=body.get("path_contains"),
		body=body.get("body", "Retry later\n"),
		delay=float(body.get("delay", 0)),
	)
	return {"faults": len(mock.faults)}


def control_clear(mock, context, params, query, body):
	mock.faults.clear()
	mock.latency = float(body.get("latency", 0))
	return {"faults": 0, "latency": mock.latency}


def control_seed(mock, context, params, query, body):
	"""{contacts, conversations, messages_each}: more of each, generated."""
	mock.add_contacts(int(body.get("contacts", 0)))
	mock.add_conversations(int(body.get("conversations", 0)), int(body.get("messages_each", 1)))
	return {
		"contacts": len(mock.contacts),
		"conversations": len(mock._conversations),
		"messages": len(mock.messages),
	}


def control_allow_private_network(mock, context, params, query, body):
	"""{allow}: as if Chatwoot were restarted with SAFE_FETCH_ALLOW_PRIVATE_NETWORK so set."""
	mock.allow_private_network = bool(body.get("allow", True))
	return {"allow_private_network": mock.allow_private_network}


def control_start_burst(mock, context, params, query, body):
	"""{deliveries, duplicates?, window?, senders?, rate?, events?, seed?}: see start_burst."""
	burst = mock.start_burst(
		int(body["deliveries"]),
		duplicates=int(body.get("duplicates", 0)),
		window=int(body.get("window", 50)),
		senders=int(body.get("senders", 20)),
		rate=float(body["rate"]) if body.get("rate") else None,
		events=body.get("events"),
		seed=int(body.get("seed", 7)),
	)
	return burst.report()


def control_burst(mock, context, params, query, body):
	"""How the last burst went; ?detail=1 adds each delivery's answer and time."""
	if mock.burst is None:
		raise not_found()
	return mock.burst.report(detail=query.get("detail", ["0"])[0] == "1")


def control_stats(mock, context, params, query, body):
	since = float(query.get("since", ["0"])[0])
	return {
		"requests": len(mock.requests),
		"busiest_second": mock.busiest_second(since),
		"now": time.monotonic(),
		"deliveries": len(mock.deliveries),
		"refused_deliveries": sum(1 for d in mock.deliveries if d.get("refused")),
		"faults_left": sum(max(f.remaining, 0) for f in mock.faults),
		"contacts": len(mock.listed_contacts()),
		"contacts_with_customer": sum(
			"erpnext_customer" in c["custom_attributes"] for c in mock.contacts.values()
		),
		"conversations": len(mock._conversations),
		"messages": len(mock.messages),
	}


ROUTES = [
	route("POST", f"{CONTROL}/faults", control_faults, "public"),
	route("POST", f"{CONTROL}/clear", control_clear, "public"),
	route("POST", f"{CONTROL}/seed", control_seed, "public"),
	route("POST", f"{CONTROL}/allow_private_network", control_allow_private_network, "public"),
	route("GET", f"{CONTROL}/stats", control_stats, "public"),
	route("POST", f"{CONTROL}/burst", control_start_burst, "public"),
	route("GET", f"{CONTROL}/burst", control_burst, "public"),
]
