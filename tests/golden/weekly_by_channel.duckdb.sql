WITH combined AS (
  SELECT
    fact_orders.channel AS channel,
    CAST(DATE_TRUNC('WEEK', fact_orders.order_date) AS DATE) AS week,
    COUNT(DISTINCT fact_orders.order_id) AS order_count__cur
  FROM fact_orders
  WHERE
    fact_orders.order_date BETWEEN CAST('2026-09-21' AS DATE) AND CAST('2026-11-15' AS DATE)
    AND fact_orders.status <> '已取消'
    AND NOT fact_orders.channel IS NULL
  GROUP BY
    fact_orders.channel,
    CAST(DATE_TRUNC('WEEK', fact_orders.order_date) AS DATE)
), result AS (
  SELECT
    combined.channel,
    combined.week,
    order_count__cur AS order_count
  FROM combined
)
SELECT
  channel,
  week,
  order_count
FROM result
ORDER BY
  week,
  channel
