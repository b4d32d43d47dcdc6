-- Revert tasklib:queue_functions
BEGIN;

DROP FUNCTION tasklib.report_progress;
DROP FUNCTION tasklib.wait_for_tasks;
DROP FUNCTION tasklib.seconds_until_claimable;
DROP FUNCTION tasklib.rate_limited;
DROP FUNCTION tasklib.release;
DROP FUNCTION tasklib.heartbeat;
DROP FUNCTION tasklib.fail;
DROP FUNCTION tasklib.complete;
DROP FUNCTION tasklib.claim;
DROP FUNCTION tasklib._choose_limited;
DROP FUNCTION tasklib.recover_expired;
DROP FUNCTION tasklib.submit_many;
DROP FUNCTION tasklib.submit;
DROP FUNCTION tasklib._unique_conflict;
DROP FUNCTION tasklib._wake_workers;
DROP FUNCTION tasklib._wait_lock_class;
DROP FUNCTION tasklib._unique_key_of;
DROP FUNCTION tasklib.backoff_delay;

COMMIT;
