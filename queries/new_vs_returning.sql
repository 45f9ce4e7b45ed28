-- name: new_vs_returning
-- answers: Per day, how many active users were new (first seen that day) and how many returning?
-- param: from_date = 1970-01-01  (first day reported, project-local, inclusive)
-- param: to_date = 2999-12-31  (last day reported, project-local, inclusive)
-- reads: events ("first seen" means first seen in the loaded data: load history before the range)
WITH activity AS (
    SELECT DISTINCT event_date AS day, distinct_id
    FROM events
    WHERE distinct_id IS NOT NULL
),
first_seen AS (
    SELECT distinct_id, min(day) AS first_day
    FROM activity
    GROUP BY distinct_id
),
labelled AS (
    SELECT a.day, a.day = f.first_day AS is_new
    FROM activity AS a
    JOIN first_seen AS f USING (distinct_id)
    WHERE a.day BETWEEN CAST($from_date AS DATE) AND CAST($to_date AS DATE)
)
SELECT day,
       count(*) FILTER (WHERE is_new) AS new_users,
       count(*) FILTER (WHERE NOT is_new) AS returning_users,
       count(*) AS active_users
FROM labelled
GROUP BY day
ORDER BY day
