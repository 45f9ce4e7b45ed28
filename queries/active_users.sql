-- name: active_users
-- answers: DAU, WAU and MAU per day: distinct users active that day, in the 7 and in the 30 days ending that day, and stickiness (DAU/MAU).
-- param: from_date = 1970-01-01  (first day reported, project-local, inclusive)
-- param: to_date = 2999-12-31  (last day reported, project-local, inclusive)
-- reads: events (windows look back before from_date, into whatever is loaded)
WITH activity AS (
    SELECT DISTINCT event_date AS day, distinct_id
    FROM events
    WHERE distinct_id IS NOT NULL
),
bounds AS (
    SELECT greatest(min(day), CAST($from_date AS DATE)) AS first_day,
           least(max(day), CAST($to_date AS DATE)) AS last_day
    FROM activity
),
days AS (
    SELECT CAST(unnest(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS DATE) AS day
    FROM bounds
    WHERE first_day <= last_day
),
windowed AS (
    SELECT d.day,
           count(DISTINCT a.distinct_id) FILTER (WHERE a.day = d.day) AS dau,
           count(DISTINCT a.distinct_id) FILTER (WHERE a.day > d.day - 7) AS wau,
           count(DISTINCT a.distinct_id) AS mau
    FROM days AS d
    LEFT JOIN activity AS a ON a.day > d.day - 30 AND a.day <= d.day
    GROUP BY d.day
)
SELECT day, dau, wau, mau, round(dau / nullif(mau, 0), 3) AS dau_mau
FROM windowed
ORDER BY day
