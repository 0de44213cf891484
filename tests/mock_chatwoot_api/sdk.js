// The mock Chatwoot's widget loader (/packs/js/sdk.js): what a page sees of Chatwoot's SDK.
// `chatwootSDK.run` draws a bubble and announces `chatwoot:ready`; `$chatwoot` keeps Chatwoot's
// method names, records every call in `window.__mockChatwoot`, and `setUser` sends the identity to
// the mock's set_user endpoint, which checks the hash as Chatwoot does.
(function () {
	const record = { runs: [], calls: [], set_user_status: null };
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

	window.chatwootSDK = {
		run(options) {
			const settings = Object.assign({}, window.chatwootSettings);
			record.runs.push({ options, settings });
			const bubble = draw_bubble(settings);
			const say = (text) => (bubble.textContent = text);
			window.$chatwoot = {
				setUser(identifier, user) {
					record.calls.push(["setUser", identifier, user]);
					const url =
						`${options.baseUrl}/api/v1/widget/contact/set_user` +
						`?website_token=${encodeURIComponent(options.websiteToken)}`;
					return fetch(url, {
						method: "PATCH",
						headers: { "Content-Type": "application/json" },
						body: JSON.stringify(Object.assign({ identifier }, user)),
					}).then((response) => {
						record.set_user_status = response.status;
						say(response.ok ? `Chatting as ${user.name || identifier} ✓` : "Identity refused");
					});
				},
				reset() {
					record.calls.push(["reset"]);
					say(settings.launcherTitle || "Chat with us");
				},
				setCustomAttributes(attributes) {
					record.calls.push(["setCustomAttributes", attributes]);
				},
				toggle(state) {
					record.calls.push(["toggle", state]);
				},
			};
			window.dispatchEvent(new CustomEvent("chatwoot:ready"));
		},
	};
})();
