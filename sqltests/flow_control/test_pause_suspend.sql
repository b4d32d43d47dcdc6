-- A paused queue's tasks are not claimed until resume_queue; a suspended queue's, or key's, not
-- before the time given. Running tasks are untouched. resume_queue ends both and wakes workers.
BEGIN;
SELECT plan(14);

DELETE FROM tasklib.tasks;
SELECT count(tasklib.submit('sqltest.p', queue => 'sqltest.paused')) FROM generate_series(1, 3);
SELECT count(tasklib.submit('sqltest.p', queue => 'sqltest.other')) FROM generate_series(1, 2);
SELECT is((SELECT count(*)::int FROM tasklib.claim('w', 1, ARRAY['sqltest.paused'])), 1, 'one task starts before the pause');

SELECT ok((tasklib.pause_queue('sqltest.paused')).paused, 'pause_queue returns the paused queue');
SELECT is((SELECT count(*)::int FROM tasklib.claim('w', 10, ARRAY['sqltest.paused'])), 0, 'a paused queue''s tasks are not claimed');
SELECT bag_eq($$SELECT queue FROM tasklib.claim('w', 10)$$, $$VALUES ('sqltest.other'), ('sqltest.other')$$,
    'a claim of every queue takes only the other queue''s');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE queue = 'sqltest.paused' AND state = 'running'), 1,
    'the task that was running runs on');
SELECT ok((SELECT paused FROM tasklib.queue_flow WHERE queue = 'sqltest.paused'), 'queue_flow shows the pause');

LISTEN tasklib_submitted;
SELECT ok(NOT (tasklib.resume_queue('sqltest.paused')).paused, 'resume_queue returns the resumed queue');
SELECT is((SELECT count(*)::int FROM tasklib.claim('w', 10, ARRAY['sqltest.paused'])), 2, 'its tasks are claimed again');

-- Suspensions: the whole queue, or one key.
SELECT count(tasklib.submit('sqltest.s', queue => 'sqltest.susp', limit_key => k)) FROM unnest(ARRAY['a', 'b']) AS k;
SELECT is((tasklib.suspend_queue('sqltest.susp', now() + interval '1 minute')).suspended_until, now() + interval '1 minute',
    'suspend_queue returns the suspended queue');
SELECT is((SELECT count(*)::int FROM tasklib.claim('w', 10, ARRAY['sqltest.susp'])), 0, 'a suspended queue starts nothing');
UPDATE tasklib.queues SET suspended_until = now() - interval '1 second' WHERE name = 'sqltest.susp';
SELECT 1 FROM tasklib.suspend_queue('sqltest.susp', now() + interval '1 minute', limit_key => 'a');
SELECT results_eq($$SELECT limit_key FROM tasklib.claim('w', 10, ARRAY['sqltest.susp'])$$, $$VALUES ('b'::text)$$,
    'its suspension over, a suspended key''s task waits while the other key''s starts');
SELECT is((SELECT suspended_keys FROM tasklib.queue_flow WHERE queue = 'sqltest.susp'),
    jsonb_build_object('a', now() + interval '1 minute'), 'queue_flow lists the suspended key and until when');
SELECT 1 FROM tasklib.resume_queue('sqltest.susp');
SELECT results_eq($$SELECT limit_key FROM tasklib.claim('w', 10, ARRAY['sqltest.susp'])$$, $$VALUES ('a'::text)$$,
    'resume_queue ends the key''s suspension too');

SELECT throws_ok($$SELECT tasklib.suspend_queue('sqltest.susp', NULL)$$, 'TL002', 'until must be a finite time, got NULL',
    'a suspension needs an end');

SELECT * FROM finish();
ROLLBACK;
