-- seconds_until_claimable says how long an idle worker may sleep: until the next delayed task,
-- the end of a suspension, the next token of a rate bucket, a blocked key's release; NULL when
-- nothing is foreseen (a queue at its concurrency limit frees slots when tasks finish).
BEGIN;
SELECT plan(8);

DELETE FROM tasklib.tasks;
SELECT is(tasklib.seconds_until_claimable(), NULL, 'nothing queued: NULL');
SELECT count(tasklib.submit('sqltest.s', queue => 'sqltest.later', delay_seconds => 30));
SELECT is(tasklib.seconds_until_claimable(), 30::float8, 'a task delayed 30 s: 30');
SELECT is(tasklib.seconds_until_claimable(ARRAY['sqltest.elsewhere']), NULL, 'only the queues asked about count');

SELECT count(tasklib.submit('sqltest.s', queue => 'sqltest.rated')) FROM generate_series(1, 3);
SELECT 1 FROM tasklib.set_queue_limits('sqltest.rated', rate_limit => 4, rate_period_seconds => 1);
SELECT count(*) FROM tasklib.claim('w', 10, ARRAY['sqltest.rated']);
SELECT is(tasklib.seconds_until_claimable(ARRAY['sqltest.rated']), 0.25::float8,
    'a due task behind an empty bucket of 4/s: the next token, in 0.25 s');

SELECT 1 FROM tasklib.suspend_queue('sqltest.rated', now() + interval '7 seconds');
SELECT is(tasklib.seconds_until_claimable(ARRAY['sqltest.rated']), 7::float8, 'a suspended queue: its end');
SELECT 1 FROM tasklib.resume_queue('sqltest.rated');

SELECT 1 FROM tasklib.set_queue_limits('sqltest.rated', concurrency_limit => 1);
SELECT is(tasklib.seconds_until_claimable(ARRAY['sqltest.rated']), NULL,
    'at its concurrency limit: NULL (a finish frees the slot, no clock foretells it)');

SELECT 1 FROM tasklib.set_queue_limits('sqltest.rated');
SELECT 1 FROM tasklib.pause_queue('sqltest.later');
SELECT is(tasklib.seconds_until_claimable(ARRAY['sqltest.later']), NULL, 'a paused queue: NULL');

SELECT count(tasklib.submit('sqltest.s', queue => 'sqltest.keys', limit_key => 'k'));
SELECT 1 FROM tasklib.suspend_queue('sqltest.keys', now() + interval '3 seconds', limit_key => 'k');
SELECT is(tasklib.seconds_until_claimable(ARRAY['sqltest.keys']), 3::float8, 'a suspended key: its end');

SELECT * FROM finish();
ROLLBACK;
