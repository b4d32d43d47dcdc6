-- report_progress records a running attempt's progress, fenced by its lease token; a new
-- attempt starts afresh; workers may call it, producers may not.
BEGIN;
SELECT plan(7);

DELETE FROM tasklib.tasks;
SELECT 1 FROM tasklib.submit('sqltest.progress');
SELECT count(*) FROM tasklib.claim('w', 1, lease_token => '00000000-0000-4000-8000-0000000000b1');
SELECT ok(tasklib.report_progress('w', (SELECT id FROM tasklib.tasks), '00000000-0000-4000-8000-0000000000b1', '{"done": 40, "total": 100}'),
    'the running attempt records its progress');
SELECT is((SELECT progress FROM tasklib.tasks), '{"done": 40, "total": 100}'::jsonb, 'in tasks.progress');
SELECT ok(NOT tasklib.report_progress('w', (SELECT id FROM tasklib.tasks), '00000000-0000-4000-8000-0000000000ff', '{"done": 99}'),
    'another token records nothing');
SELECT throws_ok($$SELECT tasklib.report_progress('w', gen_random_uuid(), gen_random_uuid(), NULL)$$, 'TL002', NULL,
    'NULL progress is refused');
UPDATE tasklib.tasks SET locked_until = now() - interval '1 second';
SELECT tasklib.recover_expired();
UPDATE tasklib.tasks SET next_retry_at = now();
SELECT count(*) FROM tasklib.claim('w', 1, lease_token => '00000000-0000-4000-8000-0000000000b2');
SELECT is((SELECT progress FROM tasklib.tasks), NULL, 'a new attempt starts without the old progress');
SELECT ok(has_function_privilege('tasklib_worker', 'tasklib.report_progress(text, uuid, uuid, jsonb)', 'EXECUTE'), 'a worker may report');
SELECT ok(NOT has_function_privilege('tasklib_producer', 'tasklib.report_progress(text, uuid, uuid, jsonb)', 'EXECUTE'), 'a producer may not');

SELECT * FROM finish();
ROLLBACK;
