-- name: duplicates
-- answers: Are duplicate events left? Per day: rows, extra copies of Mixpanel's dedupe key, extra rows sharing an insert_id, rows without insert_id.
-- param: from_date = 1970-01-01  (first project-local day, inclusive)
-- param: to_date = 2999-12-31  (last project-local day, inclusive)
-- reads: events (exact_duplicates: same event, distinct_id, time and insert_id, which the
--        loader removes, so expect 0; same_insert_id: same event, distinct_id, day and
--        insert_id at different times, dbt_mixpanel's stricter key)
WITH in_range AS (
    SELECT event_date, event_name, distinct_id, event_time, insert_id
    FROM events
    WHERE event_date BETWEEN CAST($from_date AS DATE) AND CAST($to_date AS DATE)
),
exact_copies AS (
    SELECT event_date, count(*) - 1 AS extra
    FROM in_range
    WHERE insert_id IS NOT NULL
    GROUP BY event_date, event_name, distinct_id, event_time, insert_id
    HAVING count(*) > 1
),
insert_id_copies AS (
    SELECT event_date, count(*) - 1 AS extra
    FROM in_range
    WHERE insert_id IS NOT NULL
    GROUP BY event_date, event_name, distinct_id, insert_id
    HAVING count(*) > 1
),
daily AS (
    SELECT event_date, count(*) AS events, count(*) FILTER (WHERE insert_id IS NULL) AS no_insert_id
    FROM in_range
    GROUP BY event_date
)
SELECT d.event_date AS day,
       d.events,
       coalesce((SELECT sum(extra) FROM exact_copies AS x WHERE x.event_date = d.event_date), 0)
           AS exact_duplicates,
       coalesce((SELECT sum(extra) FROM insert_id_copies AS i WHERE i.event_date = d.event_date), 0)
           AS same_insert_id,
       d.no_insert_id
FROM daily AS d
ORDER BY day
