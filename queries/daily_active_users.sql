-- name: daily_active_users
-- answers: Daily events and users: distinct users active and events sent on each project-local day.
-- param: from_date = 1970-01-01  (first project-local day, inclusive)
-- param: to_date = 2999-12-31  (last project-local day, inclusive)
-- reads: events
WITH in_range AS (
    SELECT event_date, distinct_id
    FROM events
    WHERE event_date BETWEEN CAST($from_date AS DATE) AND CAST($to_date AS DATE)
      AND distinct_id IS NOT NULL
),
daily AS (
    SELECT event_date AS day, count(DISTINCT distinct_id) AS active_users, count(*) AS events
    FROM in_range
    GROUP BY event_date
)
SELECT day, active_users, events
FROM daily
ORDER BY day
