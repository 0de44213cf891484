// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

// The customer card (/chatwoot-app), framed by Chatwoot as a Dashboard App.
//
// Chatwoot tells the frame which contact and conversation are open (its appContext message) and
// answers "chatwoot-dashboard-app:fetch-info" with the same. Only messages from the parent window
// at the configured Chatwoot origin are read, and their ids are only hints: the site decides what
// belongs to the contact and shows what the viewer may read. When the frame gets no session cookie
// (Chatwoot on another site), the agent signs in through a window of this site, which hands this
// frame a card token; the token is sent in a header, never in a URL. Chatwoot mounts the frame afresh
// on every conversation switch, so the frame asks the site to keep the token in the card's own
// partitioned cookie, which the next frames are named by (chat_bridge.card.access).

(function () {
	const config = JSON.parse(document.getElementById("card-config").textContent);
	const TOKEN_KEY = "chat_bridge_card_token";
	const $card = document.getElementById("card");
	const $status = document.getElementById("status");
	let context = null;
	let token = read_token();
	let popup = null;
	let refreshing = false; // the agent asked for the card afresh

	// The page has no desk scripts: the site sends this script's own strings, translated into the
	// viewer's language, with the page (Frappe's translations of this file).
	function __(text, values) {
		const translated = (config.messages && config.messages[text]) || text;
		return translated.replace(/\{(\d+)\}/g, (whole, index) => (values && index in values ? values[index] : whole));
	}

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
		return error.body.exception || __("The card could not be loaded ({0}).", [error.status]);
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
			// Without the cookie (a browser that refuses it) the token still serves this frame.
			call("keep_sign_in", {}, true).catch(() => null).then(() => load());
		}
	});

	function ask_chatwoot() {
		window.parent.postMessage("chatwoot-dashboard-app:fetch-info", config.chatwoot_origin);
	}

	// Loading and showing

	function load(fresh) {
		if (!config.enabled) {
			$card.innerHTML = `<p class="muted">${__("ERPNext in Chatwoot is switched off.")}</p>`;
			return;
		}
		// Chatwoot sends an empty contact while its dashboard has not loaded the conversation's one.
		if (!context || !context.contact || !context.contact.id) {
			$card.innerHTML = `<p class="muted">${__("Waiting for Chatwoot to say which contact is open…")}</p>`;
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
			<p class="muted">${__("Sign in to see this customer's ERPNext records here.")}</p>
			<button class="primary" id="sign-in">${__("Sign in to ERPNext")}</button>`;
		document.getElementById("sign-in").onclick = () => {
			popup = window.open("/chatwoot-app/sign-in", "chat_bridge_card_sign_in", "width=520,height=560");
		};
	}

	function render(card, viewer) {
		const parts = [];
		if (!card.contact) {
			parts.push(unknown(card));
		} else if (!card.contact.permitted) {
			parts.push(`<p class="muted">${__("You may not see this customer's records in ERPNext.")}</p>`);
		} else {
			parts.push(contact_head(card), figures(card), orders(card), invoices(card), quotations(card), issues(card));
			if (!card.erpnext || !card.party) parts.push(communications(card), todos(card));
		}
		parts.push(actions(card));
		parts.push(
			`<p class="muted" style="margin-top:14px">${esc(__("As {0}", [viewer.full_name || viewer.user]))} · <a href="#" id="refresh">${__(
				"Refresh"
			)}</a>${token || viewer.card_token ? ` · <a href="#" id="sign-out">${__("Sign out")}</a>` : ""}</p>`
		);
		$card.innerHTML = parts.join("");
		bind(card);
	}

	function unknown(card) {
		const who = context.contact.name || context.contact.email || `#${context.contact.id}`;
		return `<h2>${esc(who)}</h2><p><span class="pill warn">${__("Not in ERPNext")}</span></p>
			<p class="muted">${__("No ERPNext contact is this Chatwoot contact yet.")}</p>`;
	}

	function contact_head(card) {
		const c = card.contact;
		const party = card.party
			? `<div>${esc(__(card.party.doctype))}: ${link(card.party.doctype, card.party.name, card.party.title)}
				${card.party.group ? `<span class="muted">· ${esc(card.party.group)}</span>` : ""}
				${card.party.territory ? `<span class="muted">· ${esc(card.party.territory)}</span>` : ""}
				${card.party.status ? `<span class="pill">${esc(card.party.status)}</span>` : ""}</div>`
			: card.erpnext
			? `<div class="muted">${__("Not linked to a Customer or Lead.")}</div>`
			: "";
		const verified =
			card.conversation && card.conversation.identity_verified
				? ` <span class="pill good" title="${__("Signed in on the website")}">${__("Verified")}</span>`
				: "";
		return `<h2>${link("Contact", c.name, c.full_name)}${verified}</h2>
			<div class="muted">${esc([c.email, c.phone, c.company_name].filter(Boolean).join(" · "))}</div>${party}`;
	}

	function figures(card) {
		if (!card.finance) return "";
		const f = card.finance;
		const limit = f.credit_limit ? `<div><b>${esc(f.credit_limit_text)}</b><span class="muted">${__("credit limit")}</span></div>` : "";
		return `<div class="figures"><div><b>${esc(f.outstanding_text)}</b><span class="muted">${__("outstanding")}</span></div>${limit}</div>`;
	}

	function section(title, rows, empty) {
		if (rows == null) return "";
		return `<h3>${esc(title)}</h3>${rows.length ? rows.join("") : `<div class="muted">${esc(empty)}</div>`}`;
	}

	function orders(card) {
		return section(
			__("Sales Orders"),
			card.orders &&
				card.orders.map(
					(o) => `<div class="row"><span>${link("Sales Order", o.name)} <span class="muted">${esc(o.transaction_date)}</span></span>
					<span><span class="pill">${esc(__(o.status))}</span> ${esc(__("{0}% delivered", [Math.round(o.per_delivered || 0)]))}${
						o.delivery_date ? ` · ${esc(__("by {0}", [o.delivery_date]))}` : ""
					}${card.can.order_note ? ` <button data-note="${esc(o.name)}">${__("Note")}</button>` : ""}${send_button(
						card,
						"Sales Order",
						o.name
					)}</span></div>`
				),
			__("No orders.")
		);
	}

	function invoices(card) {
		const tone = { Paid: "good", Overdue: "bad" };
		return section(
			__("Sales Invoices"),
			card.invoices &&
				card.invoices.map(
					(i) => `<div class="row"><span>${link("Sales Invoice", i.name)} <span class="muted">${esc(__("due {0}", [i.due_date || ""]))}</span></span>
					<span>${esc(i.outstanding_text)} <span class="pill ${tone[i.state] || "warn"}">${esc(__(i.state))}</span>${send_button(
						card,
						"Sales Invoice",
						i.name
					)}</span></div>`
				),
			__("No invoices.")
		);
	}

	function quotations(card) {
		return section(
			__("Quotations"),
			card.quotations &&
				card.quotations.map(
					(q) => `<div class="row"><span>${link("Quotation", q.name)} <span class="muted">${esc(q.transaction_date)}</span></span>
					<span>${esc(q.total_text)} <span class="pill">${esc(__(q.status))}</span>${send_button(card, "Quotation", q.name)}</span></div>`
				),
			__("No quotations.")
		);
	}

	// Send the document's PDF into this conversation (chat_bridge.documents).
	function send_button(card, doctype, name) {
		return card.can.send_document
			? ` <button data-send-doctype="${esc(doctype)}" data-send-name="${esc(name)}">${__("Send PDF")}</button>`
			: "";
	}

	function send_document(button, conversation) {
		if (!window.confirm(__("Send {0} {1} as PDF into conversation #{2}?", [__(button.dataset.sendDoctype), button.dataset.sendName, conversation.id])))
			return;
		button.disabled = true; // one click, one send: the key below makes a repeat of it the same send
		const key = Array.from(window.crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
		$status.textContent = __("Working…");
		call(
			"send_document",
			{
				conversation_id: conversation.id,
				contact_id: context.contact.id,
				account_id: conversation.account_id,
				doctype: button.dataset.sendDoctype,
				name: button.dataset.sendName,
				request_key: key,
			},
			true
		)
			.then((sent) => {
				const answer = sent.data;
				$status.textContent =
					answer.status === "Failed"
						? __("Not sent: {0}", [answer.error])
						: answer.status === "Sent"
						? __("Sent.")
						: __("Queued to send via Chatwoot");
			})
			.catch((error) => ($status.textContent = complaint(error)))
			.finally(() => (button.disabled = false));
	}

	function issues(card) {
		return section(
			__("Open Issues"),
			card.issues &&
				card.issues.map(
					(i) => `<div class="row"><span>${link("Issue", i.name, i.subject)}</span><span class="pill">${esc(__(i.status))}</span></div>`
				),
			__("No open issues.")
		);
	}

	function communications(card) {
		return section(
			__("Recent communications"),
			card.communications &&
				card.communications.map(
					(c) => `<div class="row"><span>${link("Communication", c.name, c.subject)}</span><span class="muted">${esc(
						c.communication_date
					)}</span></div>`
				),
			__("None.")
		);
	}

	function todos(card) {
		return section(
			__("Open ToDos"),
			card.todos &&
				card.todos.map(
					(t) => `<div class="row"><span>${link("ToDo", t.name, (t.description || "").replace(/<[^>]*>/g, "").slice(0, 80))}</span><span class="muted">${esc(
						t.allocated_to
					)}</span></div>`
				),
			__("None.")
		);
	}

	function actions(card) {
		const can = card.can || {};
		const buttons = [];
		if (can.link) buttons.push(`<button id="link">${__("Link to a Customer or Lead")}</button>`);
		if (can.create_lead) buttons.push(`<button id="create-lead">${__("Create a Lead")}</button>`);
		if (can.create_issue) buttons.push(`<button id="create-issue">${__("Create an Issue")}</button>`);
		const filed = card.conversation && card.conversation.reference;
		const under = filed
			? `<div class="muted">${__("This conversation is filed under {0}.", [link(filed.doctype, filed.name)])}</div>`
			: "";
		return buttons.length || under ? `<h3>${__("Actions")}</h3>${buttons.join("")}${under}<div id="search"></div>` : "";
	}

	function act(question, method, args) {
		if (!window.confirm(question)) return;
		$status.textContent = __("Working…");
		call(method, args, true)
			.then(() => {
				$status.textContent = __("Done.");
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
			act(__("Create a Lead from this Chatwoot contact?"), "create_lead", { contact_id: context.contact.id, account_id })
		);
		on("create-issue", () =>
			act(__("Create an Issue for conversation #{0}?", [conversation.id]), "create_issue", {
				conversation_id: conversation.id,
				account_id,
			})
		);
		on("link", () => show_search(account_id));
		document.querySelectorAll("[data-send-doctype]").forEach((button) => {
			button.onclick = () => send_document(button, conversation);
		});
		document.querySelectorAll("[data-note]").forEach((button) => {
			button.onclick = () =>
				act(__("Add a private note about {0} to conversation #{1}?", [button.dataset.note, conversation.id]), "add_order_note", {
					conversation_id: conversation.id,
					sales_order: button.dataset.note,
					account_id,
				});
		});
	}

	function show_search(account_id) {
		const $search = document.getElementById("search");
		$search.innerHTML = `<input id="q" placeholder="${esc(__("Customer or Lead name"))}"><div id="found"></div>`;
		const $q = document.getElementById("q");
		$q.focus();
		$q.oninput = () =>
			call("search_parties", { q: $q.value }).then((answer) => {
				document.getElementById("found").innerHTML = answer.data
					.map(
						(p) => `<div class="row"><span>${esc(p.title || p.name)} <span class="muted">${esc(__(p.doctype))} ${esc(
							p.name
						)}</span></span><button data-doctype="${esc(p.doctype)}" data-name="${esc(p.name)}">${__("Link")}</button></div>`
					)
					.join("");
				document.querySelectorAll("#found button").forEach((button) => {
					button.onclick = () =>
						act(__("Link this contact to {0} {1}?", [__(button.dataset.doctype), button.dataset.name]), "link_party", {
							contact_id: context.contact.id,
							doctype: button.dataset.doctype,
							name: button.dataset.name,
							account_id,
						});
				});
			});
	}

	if (window.parent === window) {
		$card.innerHTML = `<p class="muted">${__(
			"This page is the ERPNext customer card: Chatwoot shows it beside a conversation."
		)}</p>`;
	} else {
		load();
		ask_chatwoot();
	}
})();
