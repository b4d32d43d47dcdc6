-- tasklib_monitor reads every monitoring view and nothing else.
BEGIN;
SELECT plan(11);

SELECT tasklib.submit('roles.m');
SET LOCAL ROLE tasklib_monitor;
SELECT lives_ok($$SELECT * FROM tasklib.queue_status$$, 'monitor reads queue_status');
SELECT lives_ok($$SELECT * FROM tasklib.queue_status_by_task$$, 'monitor reads queue_status_by_task');
SELECT lives_ok($$SELECT * FROM tasklib.task_performance$$, 'monitor reads task_performance');
SELECT lives_ok($$SELECT * FROM tasklib.worker_health$$, 'monitor reads worker_health');
SELECT lives_ok($$SELECT * FROM tasklib.recent_failures$$, 'monitor reads recent_failures');
SELECT lives_ok($$SELECT * FROM tasklib.throughput$$, 'monitor reads throughput');
SELECT throws_ok($$SELECT * FROM tasklib.tasks$$, '42501', NULL, 'monitor cannot read the tasks table');
SELECT throws_ok($$SELECT tasklib.submit('roles.m')$$, '42501', NULL, 'monitor cannot submit');
SELECT throws_ok($$SELECT tasklib.claim('monitor')$$, '42501', NULL, 'monitor cannot claim');
SELECT throws_ok($$DELETE FROM tasklib.task_types$$, '42501', NULL, 'monitor cannot write');
SELECT throws_ok($$SELECT tasklib.worker_heartbeat('monitor', gen_random_uuid())$$, '42501', NULL, 'monitor cannot pose as a worker');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
