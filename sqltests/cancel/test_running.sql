-- Cancelling a running task asks its worker to stop it (NOTIFY tasklib_cancel, cancel_requests);
-- the worker's report through fail ends it cancelled, never retried; so does lease recovery if
-- the worker died. Who cancelled it and why are kept. A task that completes anyway completes.
BEGIN;
SELECT plan(16);

DELETE FROM tasklib.tasks;
SELECT count(tasklib.submit('sqltest.c')) FROM generate_series(1, 4);
SELECT count(*) FROM tasklib.claim('w', 4, lease_token => '00000000-0000-4000-8000-0000000000c1');
CREATE TEMP TABLE running AS SELECT id, row_number() OVER (ORDER BY id) AS n FROM tasklib.tasks;

SELECT ok((SELECT state = 'running' AND cancelled_by = session_user AND cancel_reason = 'customer asked'
                  AND cancel_requested_at = now()
             FROM tasklib.cancel((SELECT id FROM running WHERE n = 1), 'customer asked')),
    'a running task stays running, its cancellation asked for: by whom, why, when');
SELECT results_eq($$SELECT * FROM tasklib.cancel_requests('w')$$, $$SELECT id FROM running WHERE n = 1$$,
    'cancel_requests lists it for its worker');
SELECT is_empty($$SELECT * FROM tasklib.cancel_requests('other')$$, 'and for no other worker');
SELECT is((tasklib.cancel((SELECT id FROM running WHERE n = 1), 'again')).cancel_reason, 'customer asked',
    'asking again changes nothing');

SELECT results_eq(
    $$SELECT state FROM tasklib.fail('w', ARRAY(SELECT id FROM running WHERE n = 1),
                                     ARRAY['00000000-0000-4000-8000-0000000000c1'::uuid], ARRAY['cancelled'])$$,
    $$VALUES ('cancelled'::text)$$, 'the worker''s report through fail ends it cancelled');
SELECT results_eq($$SELECT terminal, next_retry_at, completed_at, retry_count FROM tasklib.tasks WHERE id = (SELECT id FROM running WHERE n = 1)$$,
    $$VALUES (true, NULL::timestamptz, now(), 0)$$, 'finished, no retry scheduled');
SELECT is_empty($$SELECT * FROM tasklib.cancel_requests('w')$$, 'no request left');

-- The worker died: lease recovery ends it cancelled, not failed.
SELECT 1 FROM tasklib.cancel((SELECT id FROM running WHERE n = 2));
UPDATE tasklib.tasks SET locked_until = now() - interval '1 second' WHERE id = (SELECT id FROM running WHERE n = 2);
SELECT is(tasklib.recover_expired(), 1, 'lease recovery takes the dead worker''s task');
SELECT results_eq($$SELECT state, terminal, next_retry_at FROM tasklib.tasks WHERE id = (SELECT id FROM running WHERE n = 2)$$,
    $$VALUES ('cancelled'::text, true, NULL::timestamptz)$$, 'and ends it cancelled, not retried');

-- A task that finishes before the worker stops it completes.
SELECT 1 FROM tasklib.cancel((SELECT id FROM running WHERE n = 3));
SELECT 1 FROM tasklib.complete('w', ARRAY(SELECT id FROM running WHERE n = 3), ARRAY['00000000-0000-4000-8000-0000000000c1'::uuid]);
SELECT is((SELECT state FROM tasklib.tasks WHERE id = (SELECT id FROM running WHERE n = 3)), 'completed',
    'completed before it was stopped: completed');

-- Handed back (shutdown, or an outside rate limit) after a cancel: it ends cancelled instead.
SELECT count(tasklib.submit('sqltest.back')) FROM generate_series(1, 2);
SELECT count(*) FROM tasklib.claim('w', 2, lease_token => '00000000-0000-4000-8000-0000000000c2');
SELECT count(tasklib.cancel(t.id)) FROM tasklib.tasks t WHERE t.name = 'sqltest.back';
SELECT count(*) FROM tasklib.release('w', ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'sqltest.back' ORDER BY id LIMIT 1),
                                     ARRAY['00000000-0000-4000-8000-0000000000c2'::uuid]);
SELECT count(*) FROM tasklib.rate_limited('w', ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'sqltest.back' ORDER BY id DESC LIMIT 1),
                                          ARRAY['00000000-0000-4000-8000-0000000000c2'::uuid], ARRAY[5::float8]);
SELECT results_eq($$SELECT state, terminal FROM tasklib.tasks WHERE name = 'sqltest.back'$$,
    $$VALUES ('cancelled'::text, true), ('cancelled', true)$$, 'release and rate_limited of a task asked to stop end it cancelled');
SELECT is((SELECT suspended_until FROM tasklib.queues WHERE name = 'default'), NULL, 'and suspend nothing for it');

-- Bulk, by filter.
SELECT count(tasklib.submit('sqltest.bulk', tags => '{"tenant": "acme"}')) FROM generate_series(1, 3);
SELECT count(tasklib.submit('sqltest.bulk', tags => '{"tenant": "other"}'));
SELECT is((SELECT count(*)::int FROM tasklib.cancel_tasks(tags => '{"tenant": "acme"}', reason => 'tenant left')), 3,
    'cancel_tasks cancels every unfinished task matching its filters');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name = 'sqltest.bulk' AND state = 'cancelled' AND cancel_reason = 'tenant left'), 3,
    'with the reason');
SELECT throws_ok($$SELECT tasklib.cancel_tasks()$$, 'TL002', 'cancel_tasks needs a filter: name, queue or tags',
    'cancel_tasks without a filter is refused');
SELECT ok(has_function_privilege('tasklib_worker', 'tasklib.cancel_requests(text)', 'EXECUTE')
          AND has_function_privilege('tasklib_admin', 'tasklib.cancel_tasks(text, text, jsonb, text)', 'EXECUTE')
          AND NOT has_function_privilege('tasklib_producer', 'tasklib.cancel_tasks(text, text, jsonb, text)', 'EXECUTE'),
    'workers read requests; admins cancel in bulk; producers do not');

SELECT * FROM finish();
ROLLBACK;
