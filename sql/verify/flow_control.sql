-- Verify tasklib:flow_control
BEGIN;

SELECT 'tasklib._queue_for_update'::regproc, 'tasklib.set_queue_limits'::regproc,
       'tasklib.pause_queue'::regproc, 'tasklib.resume_queue'::regproc,
       'tasklib.suspend_queue'::regproc, 'tasklib.purge_queue_keys'::regproc;

ROLLBACK;
