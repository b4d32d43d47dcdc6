-- unique_for_seconds: the key stays taken for that window after a submit, finished or not; past
-- it, the next submit takes the key (its row in unique_windows changes hands under its lock).
BEGIN;
SELECT plan(7);

DELETE FROM tasklib.tasks;
DELETE FROM tasklib.unique_windows;
CREATE TEMP TABLE ids (label text, id uuid);
INSERT INTO ids VALUES ('first', tasklib.submit('sqltest.w', unique_key => 'hourly', unique_for_seconds => 3600));
SELECT results_eq($$SELECT task_id, until FROM tasklib.unique_windows WHERE name = 'sqltest.w' AND key = 'hourly'$$,
    $$SELECT id, now() + interval '1 hour' FROM ids WHERE label = 'first'$$, 'the first submit takes the window');
UPDATE tasklib.tasks SET state = 'completed', completed_at = now(), result = '{"value": null}'
 WHERE id = (SELECT id FROM ids WHERE label = 'first');
INSERT INTO ids VALUES ('inside', tasklib.submit('sqltest.w', unique_key => 'hourly', unique_for_seconds => 3600));
SELECT is((SELECT id FROM ids WHERE label = 'inside'), (SELECT id FROM ids WHERE label = 'first'),
    'inside the window, even once finished, the holder''s id comes back');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name = 'sqltest.w'), 1, 'and no task is added');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.w', unique_key => 'hourly', unique_for_seconds => 3600, on_conflict => 'raise')$$,
    'TL007', NULL, 'or TL007');

UPDATE tasklib.unique_windows SET until = now() - interval '1 second';
INSERT INTO ids VALUES ('after', tasklib.submit('sqltest.w', unique_key => 'hourly', unique_for_seconds => 3600));
SELECT isnt((SELECT id FROM ids WHERE label = 'after'), (SELECT id FROM ids WHERE label = 'first'), 'past the window: a new task');
SELECT is((SELECT task_id FROM tasklib.unique_windows WHERE name = 'sqltest.w'), (SELECT id FROM ids WHERE label = 'after'),
    'which holds the window now');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.w', unique_key => 'x', unique_for_seconds => 0)$$, 'TL002', NULL,
    'a window is longer than 0');

SELECT * FROM finish();
ROLLBACK;
