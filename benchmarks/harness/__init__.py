"""The load and fault harness: each scenario against a served site and the mock Chatwoot.

Run from the bench's sites folder, with the bench's own web server, workers and scheduler stopped
(the harness starts its own and stops them again):

	cd ~/frappe-bench/sites && PYTHONPATH=../apps/chat_bridge ../env/bin/python \\
		-m benchmarks.harness burst --site mysite.localhost

The scenarios, and the goals each is scored against:

- burst: 10,000 signed deliveries (contacts, conversations, assignments, messages, resolutions,
  3% sent twice, shuffled) from 20 senders. Every one answered 2xx, p99 under 250 ms, none lost,
  none written twice, the log drained by one worker in under 4 minutes.
- throughput: message_created deliveries through one worker, at least 50 a second.
- worker-kill: the worker SIGKILLed a quarter of the way through, then started again. Every event
  processed, none left behind, none written twice.
- redis-flush: both Redis emptied during a burst. Nothing accepted lost, processing going on by itself.
- db-outage: the database stopped for 30 s during a burst (commands given by the operator). What
  comes meanwhile is refused with a clear 503, what was accepted is processed, and the
  reconciliation brings back what was refused from the mock's API.
- chatwoot-faults: the mock answering 429, 503 and timeouts while events are processed and during a
  backfill. Nothing lost, what still failed named and brought by a second run, never more than 50
  requests a second to Chatwoot.
- backfill: 100,000 contacts and 20,000 conversations from the mock, interrupted with Ctrl-C and
  run again. At least 700 contacts a second, memory growth under 100 MB, a progress bar on the
  terminal, nothing twice.
- push-context: `chatwoot push-context` for 10,000 Customers, each with a mapped Chatwoot contact
  (ERPNext needed). Every one pushed, a progress bar, never more than 50 requests a second.

Each prints its figures and ends with `N passed, M failed`; the exit status is 1 when a goal is
missed, 2 when the run could not be made.
"""
