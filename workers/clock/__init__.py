"""The clock (`cnt clock`, the Procfile's `clock`): periodic tasks, each run every N seconds by
`schedule.run_forever` under a Redis lock per tick, so any number of clocks may run.

- `sweeper`: re-queues jobs whose worker stopped renewing its lease, re-sends queued jobs whose
  message Redis lost, advances content with nothing queued (PostgreSQL is the record).
- `scheduled_publishing`: content whose publish time has come goes live once it is ready.
- `stale_uploads`: multipart uploads nobody finished are aborted.
- `orphans`: objects under an id no row owns (a crash mid-delete left them) are removed.
- `workers.cdn_invalidation.flush_invalidations`: a window's CDN paths become one invalidation.
"""
