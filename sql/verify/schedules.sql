-- Verify tasklib:schedules
BEGIN;

SELECT name, task_name, cron, args, timezone, catch_up, paused, starts_after, next_fire_at, last_fire_at,
       last_task_id, last_error, created_at, updated_at
  FROM tasklib.schedules WHERE false;
SELECT schedule, fire_at, fired_at, task_id, error FROM tasklib.schedule_fires WHERE false;
SELECT name, task_name, cron, timezone, catch_up, paused, next_fire_at, last_fire_at, last_task_id,
       last_task_state, last_fire_refused, last_error, args, created_at, updated_at
  FROM tasklib.schedule_status WHERE false;
SELECT 'tasklib._cron_problem'::regproc, 'tasklib.create_schedule'::regproc, 'tasklib.pause_schedule'::regproc,
       'tasklib.resume_schedule'::regproc, 'tasklib.remove_schedule'::regproc, 'tasklib.fire_schedule'::regproc,
       'tasklib.set_schedule_next_fire'::regproc;

ROLLBACK;
