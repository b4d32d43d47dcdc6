-- Revert tasklib:schedules
BEGIN;

DROP VIEW tasklib.schedule_status;
DROP FUNCTION tasklib.set_schedule_next_fire;
DROP FUNCTION tasklib.fire_schedule;
DROP FUNCTION tasklib.remove_schedule;
DROP FUNCTION tasklib.resume_schedule;
DROP FUNCTION tasklib.pause_schedule;
DROP FUNCTION tasklib.create_schedule;
DROP FUNCTION tasklib._cron_problem;
DROP TABLE tasklib.schedule_fires;
DROP TABLE tasklib.schedules;

COMMIT;
