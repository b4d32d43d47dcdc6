-- The two secrets, a running attempt's lease token and a worker's registration, are readable by
-- the owner only: a worker that could read another's token could complete, fail or release that
-- worker's tasks. Every other column stays readable by the roles that read the table.
BEGIN;
SELECT plan(10);

DELETE FROM tasklib.tasks;
SELECT tasklib.submit('secrets.t');
SELECT count(*) FROM tasklib.claim('victim', 1, lease_token => '00000000-0000-4000-8000-0000000000e1');
SELECT tasklib.worker_heartbeat('victim', '00000000-0000-4000-8000-0000000000e2');

SET LOCAL ROLE tasklib_worker;
SELECT throws_ok($$SELECT lease_token FROM tasklib.tasks$$, '42501', NULL, 'a worker cannot read lease tokens');
SELECT throws_ok($$SELECT * FROM tasklib.tasks$$, '42501', NULL, 'nor through SELECT *');
SELECT throws_ok($$SELECT count(*) FROM tasklib.tasks WHERE lease_token IS NOT NULL$$, '42501', NULL,
    'nor test them in a WHERE');
SELECT throws_ok($$SELECT registration FROM tasklib.workers$$, '42501', NULL, 'nor registrations');
SELECT lives_ok($$SELECT id, name, state, worker_id, attempt, locked_until, submitted_by FROM tasklib.tasks$$,
    'it reads every other column of tasks');
SELECT lives_ok($$SELECT worker, queues, concurrency, info, started_at, last_seen_at FROM tasklib.workers$$,
    'and of workers');
SELECT is_empty($$SELECT * FROM tasklib.complete('thief', ARRAY(SELECT id FROM tasklib.tasks), ARRAY[gen_random_uuid()])$$,
    'a guessed token completes nothing');
RESET ROLE;

SET LOCAL ROLE tasklib_producer;
SELECT throws_ok($$SELECT lease_token FROM tasklib.tasks$$, '42501', NULL, 'a producer cannot read lease tokens');
RESET ROLE;
SET LOCAL ROLE tasklib_admin;
SELECT throws_ok($$SELECT lease_token FROM tasklib.tasks$$, '42501', NULL, 'nor can an administrator');
RESET ROLE;
SELECT is((SELECT state FROM tasklib.tasks), 'running', 'the victim''s task still runs');

SELECT * FROM finish();
ROLLBACK;
