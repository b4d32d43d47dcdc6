-- What SQL checks of a cron expression: present, at most 255 characters, 5 or 6 fields or a
-- known @alias. The fields themselves are Python's (croniter) to check.
BEGIN;
SELECT plan(9);

SELECT is(tasklib._cron_problem('*/5 * * * *'), NULL, 'five fields pass');
SELECT is(tasklib._cron_problem('*/10 * * * * *'), NULL, 'six fields (seconds first) pass');
SELECT is(tasklib._cron_problem(E'  0\t3  * * 1-5 '), NULL, 'any whitespace separates fields');
SELECT is(tasklib._cron_problem('@Daily'), NULL, 'a known alias passes, in any case');
SELECT is(tasklib._cron_problem(NULL), 'cron must be a non-empty cron expression', 'NULL is refused');
SELECT is(tasklib._cron_problem('   '), 'cron must be a non-empty cron expression', 'blank is refused');
SELECT is(tasklib._cron_problem('* * * *'),
    'cron must have 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), got 4: ''* * * *''',
    'four fields are refused, counted');
SELECT is(tasklib._cron_problem('@fortnightly'),
    'cron alias ''@fortnightly'' is not one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly',
    'an unknown alias is refused, named');
SELECT is(tasklib._cron_problem(repeat('1,', 128) || ' * * * *'), 'cron must be at most 255 characters',
    'a very long expression is refused');

SELECT * FROM finish();
ROLLBACK;
