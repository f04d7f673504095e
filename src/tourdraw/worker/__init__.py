"""The worker: the scheduled duties, the outbox relay and the task queue, each
kept going on its own, and the health report that says how they fare."""
