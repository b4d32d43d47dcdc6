-- Revert tasklib:admin_functions
BEGIN;

DROP FUNCTION tasklib.purge;
DROP FUNCTION tasklib.retry;
DROP FUNCTION tasklib.cancel_requests;
DROP FUNCTION tasklib.cancel_tasks;
DROP FUNCTION tasklib.cancel;

COMMIT;
