// Copyright (c) 2026, The chat_bridge contributors
// License: MIT. See license.txt

// Chatwoot's website widget, and the signed-in user's identity for it (chat_bridge/widget/site.py).
// Inlined into the website pages that show the widget, with its configuration in a JSON script
// element; in the desk (only when the settings ask for it) the configuration comes with the boot.
//
// Whoever used the widget before in this browser is remembered (localStorage). Someone else signed
// in now is simply set as the user: Chatwoot answers another identifier with a session of that
// person's own. Nobody signed in now resets the widget, so the next visitor does not inherit the
// previous one's conversation. Never reset and then set the user: reset() reloads the widget, and
// a setUser sent while it reloads is lost (Chatwoot's sdk/IFrameHelper.js).
//
// With several Chatwoot accounts the page names the inbox its route shows; a signed-in customer of
// another account is answered with that account's inbox, so a signed-in visitor's widget is loaded
// only once the identity has come.

(function () {
	const REMEMBERED = "chat_bridge_widget_identifier";
	const IDENTITY_METHOD = "/api/method/chat_bridge.website.identity";

	function widget_config() {
		const element = document.getElementById("chat-bridge-widget");
		if (element) return JSON.parse(element.textContent);
		const boot = window.frappe && window.frappe.boot && window.frappe.boot.chat_bridge;
		return (boot && boot.widget) || null;
	}

	function signed_in() {
		const match = document.cookie.match(/(?:^|;\s*)user_id=([^;]*)/);
		const user = match ? decodeURIComponent(match[1]) : "Guest";
		return Boolean(user) && user !== "Guest";
	}

	function visitor_identity(config) {
		if ("identity" in config) return Promise.resolve(config.identity); // the desk's boot has it
		if (!signed_in()) return Promise.resolve(null);
		const url = IDENTITY_METHOD + "?account=" + encodeURIComponent(config.account || "");
		return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
			.then((response) => (response.ok ? response.json() : {}))
			.then((body) => body.message || null)
			.catch(() => null);
	}

	function remembered() {
		try {
			return window.localStorage.getItem(REMEMBERED);
		} catch (e) {
			return null; // storage blocked: nothing to compare with
		}
	}

	function remember(identifier) {
		try {
			if (identifier) window.localStorage.setItem(REMEMBERED, identifier);
			else window.localStorage.removeItem(REMEMBERED);
		} catch (e) {
			// storage blocked: the widget still works, without the reset on the next visit
		}
	}

	function identify(identity) {
		if (identity && identity.identifier) {
			window.$chatwoot.setUser(identity.identifier, identity.attributes);
			remember(identity.identifier);
		} else if (remembered()) {
			window.$chatwoot.reset();
			remember(null);
		}
	}

	function load(config, identity) {
		const inbox = (identity && identity.inbox) || config;
		window.chatwootSettings = Object.assign({}, config.settings);
		window.addEventListener("chatwoot:ready", () => identify(identity), { once: true });
		const script = document.createElement("script");
		script.src = inbox.base_url + "/packs/js/sdk.js";
		script.defer = true;
		script.async = true;
		script.onload = () =>
			window.chatwootSDK.run({ websiteToken: inbox.website_token, baseUrl: inbox.base_url });
		document.body.appendChild(script);
	}

	function start() {
		const config = widget_config();
		if (config && !window.chatwootSDK)
			visitor_identity(config).then((identity) => load(config, identity));
	}

	if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
	else start();
})();
