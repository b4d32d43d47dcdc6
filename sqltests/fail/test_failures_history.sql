-- Every failed attempt is kept in tasks.failures (attempt, worker, start, end, error), oldest
-- first, by fail and by lease recovery alike; the last 25 only.
BEGIN;
SELECT plan(6);

DELETE FROM tasklib.tasks;
SELECT 1 FROM tasklib.submit('sqltest.hist', max_retries => 5, backoff_base_seconds => 0.001);
SELECT count(*) FROM tasklib.claim('w1', 1, lease_token => '00000000-0000-4000-8000-0000000000a1');
SELECT 1 FROM tasklib.fail('w1', ARRAY(SELECT id FROM tasklib.tasks), ARRAY['00000000-0000-4000-8000-0000000000a1'::uuid], ARRAY['first boom']);
SELECT is((SELECT failures FROM tasklib.tasks),
    jsonb_build_array(jsonb_build_object('attempt', 1, 'worker', 'w1', 'started_at', now(), 'failed_at', now(), 'error', 'first boom')),
    'a failed attempt is recorded');
UPDATE tasklib.tasks SET next_retry_at = now();
SELECT count(*) FROM tasklib.claim('w2', 1, lease_token => '00000000-0000-4000-8000-0000000000a2');
UPDATE tasklib.tasks SET locked_until = now() - interval '1 second';
SELECT is(tasklib.recover_expired(), 1, 'the second attempt''s worker dies');
SELECT results_eq($$SELECT f->>'attempt', f->>'worker', f->>'error' FROM tasklib.tasks, jsonb_array_elements(failures) f$$,
    $$VALUES ('1', 'w1', 'first boom'), ('2', 'w2', 'lease expired: worker w2 presumed dead')$$,
    'lease recovery records its failure after the first, in order');
SELECT is((SELECT error FROM tasklib.tasks), 'lease expired: worker w2 presumed dead', 'error stays the latest');
SELECT is(jsonb_array_length(tasklib._failures_after(
              (SELECT jsonb_agg(jsonb_build_object('attempt', i)) FROM generate_series(1, 25) i), 26, 'w', now(), 'x')),
    25, 'only the last 25 are kept');
SELECT is((tasklib._failures_after(NULL, 1, 'w', now(), repeat('x', 20000)) -> 0 ->> 'error')::text, repeat('x', 10000),
    'an error is kept to 10,000 characters');

SELECT * FROM finish();
ROLLBACK;
