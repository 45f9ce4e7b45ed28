-- name: freshness
-- answers: Is the data complete and current? Each expected day with its event count, latest event, and a status (ok, low, missing).
-- param: to_date = today  (last expected project-local day; "today" = today's date)
-- param: days = 14  (how many days, ending at to_date, are expected)
-- param: min_ratio = 0.5  (a day below this share of the window's median day is "low")
-- reads: events (today is usually "low": it is not over yet)
WITH bounds AS (
    SELECT CASE WHEN $to_date = 'today' THEN current_date ELSE CAST($to_date AS DATE) END
               AS last_day
),
expected AS (
    SELECT CAST(unnest(generate_series(
               last_day - (CAST($days AS INTEGER) - 1), last_day, INTERVAL 1 DAY)) AS DATE) AS day
    FROM bounds
),
loaded AS (
    SELECT event_date AS day, count(*) AS events, max(event_time) AS latest_event
    FROM events
    WHERE event_date IN (SELECT day FROM expected)
    GROUP BY event_date
),
typical AS (
    SELECT median(events) AS median_events
    FROM loaded
)
SELECT e.day,
       coalesce(l.events, 0) AS events,
       l.latest_event,
       CASE WHEN l.events IS NULL THEN 'missing'
            WHEN l.events < CAST($min_ratio AS DOUBLE) * t.median_events THEN 'low'
            ELSE 'ok' END AS status
FROM expected AS e
LEFT JOIN loaded AS l USING (day)
CROSS JOIN typical AS t
ORDER BY e.day
