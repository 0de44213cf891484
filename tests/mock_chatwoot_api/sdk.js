// The mock Chatwoot's widget loader (/packs/js/sdk.js): what a page sees of Chatwoot's SDK
// (app/javascript/entrypoints/sdk.js, sdk/IFrameHelper.js, widget/store/modules/contacts.js).
// Instead of an iframe, it opens the widget session itself with GET /widget, and keeps its token
// where Chatwoot keeps the cw_conversation cookie. Every call is recorded in `window.__mockChatwoot`.
//
// What it keeps of Chatwoot, because the app's behaviour depends on it:
// - `chatwoot:ready` comes once, when the first session is loaded, and not after `reset()`;
// - `setUser` throws without an identifier or a name, e-mail or avatar; it sends nothing when the
//   same identity (identifier, name, e-mail, avatar, hash) was already sent from this browser;
// - it sends the user the way the widget does: company_name, city, country_code and description
//   inside `additional_attributes`, with the session's X-Auth-Token; a `widget_auth_token` in the
//   answer replaces the session;
// - `reset()` forgets the session and loads a new one; a `setUser` made while it loads goes to the
//   widget being replaced, and a widget that loads after any `setUser` on the page replays the user
//   without its identifier, which raises `chatwoot:error`;
// - an error answer raises `chatwoot:error` with the answer's body as its detail.
(function () {
	const record = { runs: [], calls: [], set_user_status: null, errors: [] };
	window.__mockChatwoot = record;

	function draw_bubble(settings) {
		const bubble = document.createElement("div");
		bubble.id = "mock-chatwoot-bubble";
		const side = settings.position === "left" ? "left" : "right";
		bubble.style.cssText =
			`position:fixed;bottom:20px;${side}:20px;z-index:99999;padding:12px 18px;` +
			"border-radius:24px;background:#1f93ff;color:#fff;font:14px sans-serif;" +
			"box-shadow:0 4px 12px rgba(0,0,0,.25)";
		bubble.textContent = settings.launcherTitle || "Chat with us";
		document.body.appendChild(bubble);
		return bubble;
	}

	function stored(key) {
		return window.localStorage.getItem(key);
	}

	function store(key, value) {
		if (value) window.localStorage.setItem(key, value);
		else window.localStorage.removeItem(key);
	}

	function raise_error(detail) {
		record.errors.push(detail);
		window.dispatchEvent(new CustomEvent("chatwoot:error", { detail }));
	}

	function widget_body(identifier, user) {
		return {
			identifier,
			email: user.email,
			name: user.name,
			avatar_url: user.avatar_url,
			identifier_hash: user.identifier_hash,
			phone_number: user.phone_number,
			additional_attributes: {
				description: user.description,
				company_name: user.company_name,
				city: user.city,
				country_code: user.country_code,
				social_profiles: user.social_profiles,
			},
			custom_attributes: user.custom_attributes,
		};
	}

	window.chatwootSDK = {
		run(options) {
			const settings = Object.assign({}, window.chatwootSettings);
			record.runs.push({ options, settings });
			const bubble = draw_bubble(settings);
			const say = (text) => (bubble.textContent = text);
			const token_key = "cw_conversation";
			const user_key = `cw_user_${options.websiteToken}`;
			let loading = null;
			let reset_triggered = false;

			function load_session() {
				const query = new URLSearchParams({ website_token: options.websiteToken });
				if (stored(token_key)) query.set("cw_conversation", stored(token_key));
				loading = fetch(`${options.baseUrl}/widget?${query}`)
					.then((response) => response.json())
					.then((session) => {
						store(token_key, session.auth_token);
						loading = null;
						if (window.$chatwoot.user) {
							// The loaded widget replays the user without its identifier, and fails.
							store(user_key, null);
							raise_error({});
						} else if (!reset_triggered) {
							window.dispatchEvent(new CustomEvent("chatwoot:ready"));
						}
					});
				return loading;
			}

			function send_user(identifier, user) {
				return fetch(
					`${options.baseUrl}/api/v1/widget/contact/set_user` +
						`?website_token=${encodeURIComponent(options.websiteToken)}`,
					{
						method: "PATCH",
						headers: {
							"Content-Type": "application/json",
							"X-Auth-Token": stored(token_key) || "",
						},
						body: JSON.stringify(widget_body(identifier, user)),
					}
				).then((response) =>
					response.json().then((body) => {
						record.set_user_status = response.status;
						if (!response.ok) {
							store(user_key, null);
							raise_error(body);
							say("Identity refused");
							return;
						}
						if (body.widget_auth_token) store(token_key, body.widget_auth_token);
						say(`Chatting as ${user.name || identifier} ✓`);
					})
				);
			}

			window.$chatwoot = {
				setUser(identifier, user) {
					record.calls.push(["setUser", identifier, user]);
					if (typeof identifier !== "string" && typeof identifier !== "number") {
						throw new Error("Identifier should be a string or a number");
					}
					if (!user || !(user.avatar_url || user.email || user.name)) {
						throw new Error("User object should have one of the keys [avatar_url, email, name]");
					}
					const key = [user.avatar_url, user.email, user.name, user.identifier_hash, identifier].join(",");
					if (stored(user_key) === key) return Promise.resolve();
					store(user_key, key);
					window.$chatwoot.user = user; // each widget loaded from now on replays it
					if (loading) return Promise.resolve(); // sent to the widget being replaced: lost
					return send_user(identifier, user);
				},
				reset() {
					record.calls.push(["reset"]);
					store(token_key, null);
					store(user_key, null);
					reset_triggered = true;
					say(settings.launcherTitle || "Chat with us");
					load_session();
				},
				setCustomAttributes(attributes) {
					record.calls.push(["setCustomAttributes", attributes]);
				},
				toggle(state) {
					record.calls.push(["toggle", state]);
				},
			};
			load_session();
		},
	};
})();
