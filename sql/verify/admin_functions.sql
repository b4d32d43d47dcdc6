-- Verify tasklib:admin_functions
BEGIN;

SELECT 'tasklib.cancel'::regproc, 'tasklib.retry'::regproc, 'tasklib.purge'::regproc;

ROLLBACK;
