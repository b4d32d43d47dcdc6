-- With no expired lease (what nearly every claim finds), recover_expired returns 0 at once:
-- it takes no advisory lock and changes no row.
BEGIN;
SELECT plan(3);

DELETE FROM tasklib.tasks;
DO $$ BEGIN PERFORM tasklib.submit('sqltest.rec.quiet'); PERFORM tasklib.claim('sqltest-worker', 1); END $$;
SELECT is(tasklib.recover_expired(), 0, 'a lease still running is not recovered');
-- (submit's per-queue lock, held to the end of this transaction, has two keys: objsubid 2)
SELECT is_empty($$SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objsubid = 1$$,
    'no advisory lock was taken');
SELECT is((SELECT state FROM tasklib.tasks WHERE name = 'sqltest.rec.quiet'), 'running', 'the task is untouched');

SELECT * FROM finish();
ROLLBACK;
