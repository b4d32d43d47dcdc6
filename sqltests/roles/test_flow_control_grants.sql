-- Who may do what with flow control: only tasklib_admin changes limits, pauses, resumes and
-- suspends (a producer could otherwise lift the limit protecting a partner's API); workers
-- hand back rate-limited tasks and ask when to claim next; monitors read queue_flow.
BEGIN;
SELECT plan(15);

SELECT ok(has_function_privilege('tasklib_admin', 'tasklib.set_queue_limits(text, integer, integer, integer, double precision, integer, integer, double precision, integer)', 'EXECUTE'),
    'tasklib_admin may set limits');
SELECT ok(has_function_privilege('tasklib_admin', 'tasklib.pause_queue(text)', 'EXECUTE'), 'tasklib_admin may pause');
SELECT ok(has_function_privilege('tasklib_admin', 'tasklib.resume_queue(text)', 'EXECUTE'), 'tasklib_admin may resume');
SELECT ok(has_function_privilege('tasklib_admin', 'tasklib.suspend_queue(text, timestamptz, text)', 'EXECUTE'), 'tasklib_admin may suspend');
SELECT is_empty(
    $$SELECT r.rolname || ' ' || f.sig FROM unnest(ARRAY['tasklib_producer', 'tasklib_worker', 'tasklib_monitor', 'public']) AS r(rolname),
             unnest(ARRAY['tasklib.set_queue_limits(text, integer, integer, integer, double precision, integer, integer, double precision, integer)',
                          'tasklib.pause_queue(text)', 'tasklib.resume_queue(text)', 'tasklib.suspend_queue(text, timestamptz, text)']) AS f(sig)
       WHERE has_function_privilege(r.rolname, f.sig, 'EXECUTE')$$,
    'no producer, worker, monitor or PUBLIC may change flow control');
SELECT ok(has_function_privilege('tasklib_worker', 'tasklib.rate_limited(text, uuid[], uuid[], double precision[], text[])', 'EXECUTE'),
    'a worker may hand back rate-limited tasks');
SELECT ok(has_function_privilege('tasklib_worker', 'tasklib.seconds_until_claimable(text[])', 'EXECUTE'),
    'a worker may ask when to claim next');
SELECT ok(NOT has_function_privilege('tasklib_producer', 'tasklib.rate_limited(text, uuid[], uuid[], double precision[], text[])', 'EXECUTE'),
    'a producer may not');
SELECT ok(NOT has_function_privilege('tasklib_worker', 'tasklib._choose_limited(text, integer, text[])', 'EXECUTE'),
    'nobody calls _choose_limited but claim');
SELECT ok(has_table_privilege('tasklib_monitor', 'tasklib.queue_flow', 'SELECT'), 'a monitor reads queue_flow');
SELECT ok(NOT has_table_privilege('tasklib_monitor', 'tasklib.queues', 'SELECT'), 'not the table under it');
SELECT ok(NOT has_table_privilege('tasklib_producer', 'tasklib.queue_flow', 'SELECT'), 'a producer does not read queue_flow');
SELECT ok(NOT has_table_privilege('tasklib_worker', 'tasklib.queues', 'UPDATE'), 'a worker may not write tasklib.queues');

CREATE ROLE sqltest_flow_producer LOGIN IN ROLE tasklib_producer;
SET LOCAL ROLE tasklib_producer;
SELECT throws_ok($$SELECT tasklib.pause_queue('default')$$, '42501', NULL, 'a producer''s pause is refused');
RESET ROLE;
SET LOCAL ROLE tasklib_admin;
SELECT ok((tasklib.pause_queue('sqltest.admin')).paused, 'an admin''s pause works');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
