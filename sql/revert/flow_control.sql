-- Revert tasklib:flow_control
BEGIN;

DROP FUNCTION tasklib.purge_queue_keys;
DROP FUNCTION tasklib.suspend_queue;
DROP FUNCTION tasklib.resume_queue;
DROP FUNCTION tasklib.pause_queue;
DROP FUNCTION tasklib.set_queue_limits;
DROP FUNCTION tasklib._queue_for_update;

COMMIT;
