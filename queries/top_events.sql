-- name: top_events
-- answers: Which events happen most, and how many distinct users send each?
-- param: from_date = 1970-01-01  (first project-local day, inclusive)
-- param: to_date = 2999-12-31  (last project-local day, inclusive)
-- param: limit = 10  (how many events)
-- reads: events
WITH in_range AS (
    SELECT event_name, distinct_id
    FROM events
    WHERE event_date BETWEEN CAST($from_date AS DATE) AND CAST($to_date AS DATE)
),
counted AS (
    SELECT event_name, count(*) AS events, count(DISTINCT distinct_id) AS users
    FROM in_range
    GROUP BY event_name
)
SELECT event_name, events, users
FROM counted
ORDER BY events DESC, event_name
LIMIT CAST($limit AS INTEGER)
