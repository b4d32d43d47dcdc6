-- Verify tasklib:admin_functions
BEGIN;

SELECT 'tasklib.cancel'::regproc, 'tasklib.retry'::regproc, 'tasklib.purge'::regproc,
       'tasklib.cancel_tasks'::regproc, 'tasklib.cancel_requests'::regproc;

ROLLBACK;
