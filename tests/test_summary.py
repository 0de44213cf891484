from chat_bridge.sync.summary import PullSummary


def test_a_summary_counts_each_kind_in_words():
	summary = PullSummary()
	for kind, action in [("message", "created")] * 3 + [
		("contact", "unchanged"),
		("conversation", "updated"),
	] * 1:
		summary.add(kind, action)
	summary.failures.append("message 58/9: ServerError")
	assert str(summary) == "1 contact unchanged, 1 conversation updated, 3 messages created, 1 failed"


def test_an_empty_summary_says_so():
	assert str(PullSummary()) == "nothing to do"


def test_a_kind_is_counted_whatever_happened_to_it():
	summary = PullSummary()
	for kind, action in [("message", "created"), ("message", "unchanged"), ("contact", "created")]:
		summary.add(kind, action)
	assert (summary.of_kind("message"), summary.of_kind("contact"), summary.of_kind("conversation")) == (
		2,
		1,
		0,
	)
