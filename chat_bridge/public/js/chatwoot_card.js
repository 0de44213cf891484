// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

// The customer card (/chatwoot-app), framed by Chatwoot as a Dashboard App.
//
// Chatwoot tells the frame which contact and conversation are open (its appContext message) and
// answers "chatwoot-dashboard-app:fetch-info" with the same. Only messages from the parent window
// at the configured Chatwoot origin are read, and their ids are only hints: the site decides what
// belongs to the contact and shows what the viewer may read. When the frame gets no session cookie
// (Chatwoot on another site), the agent signs in through a window of this site, which hands this
// frame a card token; the token is kept for this tab only and sent in a header, never in a URL.

(function () {
	const config = JSON.parse(document.getElementById("card-config").textContent);
	const TOKEN_KEY = "chat_bridge_card_token";
	const $card = document.getElementById("card");
	const $status = document.getElementById("status");
	let context = null;
	let token = read_token();
	let popup = null;
	let refreshing = false; // the agent asked for the card afresh

	function read_token() {
		try {
			return window.sessionStorage.getItem(TOKEN_KEY);
		} catch (e) {
			return null;
		}
	}

	function keep_token(value) {
		token = value;
		try {
			if (value) window.sessionStorage.setItem(TOKEN_KEY, value);
			else window.sessionStorage.removeItem(TOKEN_KEY);
		} catch (e) {
			// storage blocked: the token lives as long as this frame
		}
	}

	function esc(value) {
		const div = document.createElement("div");
		div.textContent = value == null ? "" : String(value);
		return div.innerHTML;
	}

	function link(doctype, name, label) {
		const route = `/app/${doctype.toLowerCase().replace(/ /g, "-")}/${encodeURIComponent(name)}`;
		return `<a href="${route}" target="_blank" rel="noopener">${esc(label || name)}</a>`;
	}

	function call(method, args, post) {
		const headers = { Accept: "application/json" };
		if (token) headers["X-Chat-Bridge-Card"] = token;
		let url = `/api/method/chat_bridge.card.api.${method}`;
		const init = { method: post ? "POST" : "GET", credentials: "same-origin", headers };
		const params = new URLSearchParams();
		Object.entries(args || {}).forEach(([key, value]) => value != null && params.append(key, value));
		if (post) {
			headers["X-Frappe-CSRF-Token"] = window.frappe.csrf_token || "";
			init.body = params;
		} else if ([...params].length) {
			url += `?${params}`;
		}
		return fetch(url, init).then((response) =>
			response.json().then(
				(body) => (response.ok ? body.message : Promise.reject({ status: response.status, body })),
				() => Promise.reject({ status: response.status, body: {} })
			)
		);
	}

	function complaint(error) {
		try {
			const messages = JSON.parse(error.body._server_messages || "[]");
			if (messages.length) return JSON.parse(messages[0]).message;
		} catch (e) {
			// fall through to the generic sentence
		}
		return error.body.exception || `The card could not be loaded (${error.status}).`;
	}

	// Chatwoot's side

	window.addEventListener("message", (event) => {
		if (event.source === window.parent && event.origin === config.chatwoot_origin) {
			let message;
			try {
				message = typeof event.data === "string" ? JSON.parse(event.data) : null;
			} catch (e) {
				return;
			}
			if (message && message.event === "appContext" && message.data) {
				context = message.data;
				load(refreshing);
				refreshing = false;
			}
		} else if (
			popup &&
			event.source === popup &&
			event.origin === window.location.origin &&
			event.data &&
			event.data.chat_bridge_card_token
		) {
			keep_token(event.data.chat_bridge_card_token);
			popup = null;
			load();
		}
	});

	function ask_chatwoot() {
		window.parent.postMessage("chatwoot-dashboard-app:fetch-info", config.chatwoot_origin);
	}

	// Loading and showing

	function load(fresh) {
		if (!config.enabled) {
			$card.innerHTML = `<p class="muted">ERPNext in Chatwoot is switched off.</p>`;
			return;
		}
		if (!context || !context.contact) {
			$card.innerHTML = `<p class="muted">Waiting for Chatwoot to say which contact is open…</p>`;
			return;
		}
		call("viewer").then((viewer) => {
			if (!viewer.user) {
				keep_token(null);
				show_sign_in();
				return;
			}
			const conversation = context.conversation || {};
			call("get_card", {
				contact_id: context.contact.id,
				conversation_id: conversation.id,
				account_id: conversation.account_id,
				fresh: fresh ? 1 : 0,
			})
				.then((answer) => render(answer.data, viewer))
				.catch((error) => ($card.innerHTML = `<p class="muted">${esc(complaint(error))}</p>`));
		});
	}

	function show_sign_in() {
		$card.innerHTML = `<h2>ERPNext</h2>
			<p class="muted">Sign in to see this customer's ERPNext records here.</p>
			<button class="primary" id="sign-in">Sign in to ERPNext</button>`;
		document.getElementById("sign-in").onclick = () => {
			popup = window.open("/chatwoot-app/sign-in", "chat_bridge_card_sign_in", "width=520,height=560");
		};
	}

	function render(card, viewer) {
		const parts = [];
		if (!card.contact) {
			parts.push(unknown(card));
		} else if (!card.contact.permitted) {
			parts.push(`<p class="muted">You may not see this customer's records in ERPNext.</p>`);
		} else {
			parts.push(contact_head(card), figures(card), orders(card), invoices(card), issues(card));
			if (!card.erpnext || !card.party) parts.push(communications(card), todos(card));
		}
		parts.push(actions(card));
		parts.push(
			`<p class="muted" style="margin-top:14px">As ${esc(viewer.full_name || viewer.user)} · <a href="#" id="refresh">Refresh</a>${
				token ? ` · <a href="#" id="sign-out">Sign out</a>` : ""
			}</p>`
		);
		$card.innerHTML = parts.join("");
		bind(card);
	}

	function unknown(card) {
		const who = context.contact.name || context.contact.email || `#${context.contact.id}`;
		return `<h2>${esc(who)}</h2><p><span class="pill warn">Not in ERPNext</span></p>
			<p class="muted">No ERPNext contact is this Chatwoot contact yet.</p>`;
	}

	function contact_head(card) {
		const c = card.contact;
		const party = card.party
			? `<div>${esc(card.party.doctype)}: ${link(card.party.doctype, card.party.name, card.party.title)}
				${card.party.group ? `<span class="muted">· ${esc(card.party.group)}</span>` : ""}
				${card.party.territory ? `<span class="muted">· ${esc(card.party.territory)}</span>` : ""}
				${card.party.status ? `<span class="pill">${esc(card.party.status)}</span>` : ""}</div>`
			: card.erpnext
			? `<div class="muted">Not linked to a Customer or Lead.</div>`
			: "";
		const verified =
			card.conversation && card.conversation.identity_verified
				? ` <span class="pill good" title="Signed in on the website">Verified</span>`
				: "";
		return `<h2>${link("Contact", c.name, c.full_name)}${verified}</h2>
			<div class="muted">${esc([c.email, c.phone, c.company_name].filter(Boolean).join(" · "))}</div>${party}`;
	}

	function figures(card) {
		if (!card.finance) return "";
		const f = card.finance;
		const limit = f.credit_limit ? `<div><b>${esc(f.credit_limit_text)}</b><span class="muted">credit limit</span></div>` : "";
		return `<div class="figures"><div><b>${esc(f.outstanding_text)}</b><span class="muted">outstanding</span></div>${limit}</div>`;
	}

	function section(title, rows, empty) {
		if (rows == null) return "";
		return `<h3>${esc(title)}</h3>${rows.length ? rows.join("") : `<div class="muted">${esc(empty)}</div>`}`;
	}

	function orders(card) {
		return section(
			"Sales Orders",
			card.orders &&
				card.orders.map(
					(o) => `<div class="row"><span>${link("Sales Order", o.name)} <span class="muted">${esc(o.transaction_date)}</span></span>
					<span><span class="pill">${esc(o.status)}</span> ${Math.round(o.per_delivered || 0)}% delivered${
						o.delivery_date ? ` · by ${esc(o.delivery_date)}` : ""
					}${card.can.order_note ? ` <button data-note="${esc(o.name)}">Note</button>` : ""}</span></div>`
				),
			"No orders."
		);
	}

	function invoices(card) {
		const tone = { Paid: "good", Overdue: "bad" };
		return section(
			"Sales Invoices",
			card.invoices &&
				card.invoices.map(
					(i) => `<div class="row"><span>${link("Sales Invoice", i.name)} <span class="muted">due ${esc(i.due_date || "")}</span></span>
					<span>${esc(i.outstanding_text)} <span class="pill ${tone[i.state] || "warn"}">${esc(i.state)}</span></span></div>`
				),
			"No invoices."
		);
	}

	function issues(card) {
		return section(
			"Open Issues",
			card.issues &&
				card.issues.map(
					(i) => `<div class="row"><span>${link("Issue", i.name, i.subject)}</span><span class="pill">${esc(i.status)}</span></div>`
				),
			"No open issues."
		);
	}

	function communications(card) {
		return section(
			"Recent communications",
			card.communications &&
				card.communications.map(
					(c) => `<div class="row"><span>${link("Communication", c.name, c.subject)}</span><span class="muted">${esc(
						c.communication_date
					)}</span></div>`
				),
			"None."
		);
	}

	function todos(card) {
		return section(
			"Open ToDos",
			card.todos &&
				card.todos.map(
					(t) => `<div class="row"><span>${link("ToDo", t.name, (t.description || "").replace(/<[^>]*>/g, "").slice(0, 80))}</span><span class="muted">${esc(
						t.allocated_to
					)}</span></div>`
				),
			"None."
		);
	}

	function actions(card) {
		const can = card.can || {};
		const buttons = [];
		if (can.link) buttons.push(`<button id="link">Link to a Customer or Lead</button>`);
		if (can.create_lead) buttons.push(`<button id="create-lead">Create a Lead</button>`);
		if (can.create_issue) buttons.push(`<button id="create-issue">Create an Issue</button>`);
		const filed = card.conversation && card.conversation.reference;
		const under = filed ? `<div class="muted">This conversation is filed under ${link(filed.doctype, filed.name)}.</div>` : "";
		return buttons.length || under ? `<h3>Actions</h3>${buttons.join("")}${under}<div id="search"></div>` : "";
	}

	function act(question, method, args) {
		if (!window.confirm(question)) return;
		$status.textContent = "Working…";
		call(method, args, true)
			.then(() => {
				$status.textContent = "Done.";
				load(true);
			})
			.catch((error) => ($status.textContent = complaint(error)));
	}

	function bind(card) {
		const conversation = context.conversation || {};
		const account_id = conversation.account_id;
		const on = (id, handler) => {
			const element = document.getElementById(id);
			if (element) element.onclick = (event) => (event.preventDefault(), handler());
		};
		on("refresh", () => {
			refreshing = true;
			ask_chatwoot();
		});
		on("sign-out", () => call("sign_out", {}, true).finally(() => (keep_token(null), load())));
		on("create-lead", () =>
			act("Create a Lead from this Chatwoot contact?", "create_lead", { contact_id: context.contact.id, account_id })
		);
		on("create-issue", () =>
			act(`Create an Issue for conversation #${conversation.id}?`, "create_issue", {
				conversation_id: conversation.id,
				account_id,
			})
		);
		on("link", () => show_search(account_id));
		document.querySelectorAll("[data-note]").forEach((button) => {
			button.onclick = () =>
				act(`Add a private note about ${button.dataset.note} to conversation #${conversation.id}?`, "add_order_note", {
					conversation_id: conversation.id,
					sales_order: button.dataset.note,
				});
		});
	}

	function show_search(account_id) {
		const $search = document.getElementById("search");
		$search.innerHTML = `<input id="q" placeholder="Customer or Lead name"><div id="found"></div>`;
		const $q = document.getElementById("q");
		$q.focus();
		$q.oninput = () =>
			call("search_parties", { q: $q.value }).then((answer) => {
				document.getElementById("found").innerHTML = answer.data
					.map(
						(p) => `<div class="row"><span>${esc(p.title || p.name)} <span class="muted">${esc(p.doctype)} ${esc(
							p.name
						)}</span></span><button data-doctype="${esc(p.doctype)}" data-name="${esc(p.name)}">Link</button></div>`
					)
					.join("");
				document.querySelectorAll("#found button").forEach((button) => {
					button.onclick = () =>
						act(`Link this contact to ${button.dataset.doctype} ${button.dataset.name}?`, "link_party", {
							contact_id: context.contact.id,
							doctype: button.dataset.doctype,
							name: button.dataset.name,
							account_id,
						});
				});
			});
	}

	if (window.parent === window) {
		$card.innerHTML = `<p class="muted">This page is the ERPNext customer card: Chatwoot shows it beside a conversation.</p>`;
	} else {
		load();
		ask_chatwoot();
	}
})();
