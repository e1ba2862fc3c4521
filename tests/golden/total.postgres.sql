WITH combined AS (
  SELECT
    SUM(fact_order_items.amount) AS gmv__cur
  FROM fact_order_items
  LEFT JOIN fact_orders
    ON fact_order_items.order_id = fact_orders.order_id
  WHERE
    fact_orders.order_date BETWEEN CAST('2026-10-01' AS DATE) AND CAST('2026-10-31' AS DATE)
    AND fact_orders.status <> '已取消'
), result AS (
  SELECT
    gmv__cur AS gmv
  FROM combined
)
SELECT
  gmv
FROM result
