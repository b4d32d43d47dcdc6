BEGIN;
SELECT plan(2);

SELECT isa_ok(tasklib.submit('example.noop'), 'uuid', 'submit returns a uuid');
SELECT is(
    (SELECT state FROM tasklib.tasks WHERE name = 'example.noop'),
    'pending',
    'a submitted task starts pending'
);

SELECT * FROM finish();
ROLLBACK;
