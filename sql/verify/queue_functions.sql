-- Verify tasklib:queue_functions
BEGIN;

SELECT 'tasklib.backoff_delay'::regproc,
       'tasklib.submit'::regproc, 'tasklib.submit_many'::regproc,
       'tasklib.recover_expired'::regproc, 'tasklib.claim'::regproc,
       'tasklib.complete'::regproc, 'tasklib.fail'::regproc,
       'tasklib.heartbeat'::regproc, 'tasklib.release'::regproc,
       'tasklib._choose_limited'::regproc, 'tasklib.rate_limited'::regproc,
       'tasklib.seconds_until_claimable'::regproc, 'tasklib._unique_key_of'::regproc,
       'tasklib._unique_conflict'::regproc, 'tasklib.report_progress'::regproc,
       'tasklib.wait_for_tasks'::regproc, 'tasklib._wake_workers'::regproc,
       'tasklib._wait_lock_class'::regproc;
SELECT 1 / (tasklib.backoff_delay(5, 2) = interval '20 seconds')::int;

ROLLBACK;
