WITH combined AS (
  SELECT
    month,
    MAX(gmv__cur) AS gmv__cur,
    MAX(gmv__prev) AS gmv__prev
  FROM (
    SELECT
      CAST(DATE_TRUNC('MONTH', fact_orders.order_date) AS DATE) AS month,
      SUM(fact_order_items.amount) AS gmv__cur,
      CAST(NULL AS DECIMAL) AS gmv__prev
    FROM fact_order_items
    LEFT JOIN fact_orders
      ON fact_order_items.order_id = fact_orders.order_id
    WHERE
      fact_orders.order_date BETWEEN CAST('2026-01-01' AS DATE) AND CAST('2026-11-15' AS DATE)
      AND fact_orders.status <> '已取消'
    GROUP BY
      CAST(DATE_TRUNC('MONTH', fact_orders.order_date) AS DATE)
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('MONTH', fact_orders.order_date + INTERVAL '1 YEAR') AS DATE) AS month,
      CAST(NULL AS DECIMAL) AS gmv__cur,
      SUM(fact_order_items.amount) AS gmv__prev
    FROM fact_order_items
    LEFT JOIN fact_orders
      ON fact_order_items.order_id = fact_orders.order_id
    WHERE
      fact_orders.order_date BETWEEN CAST('2025-01-01' AS DATE) AND CAST('2025-11-15' AS DATE)
      AND fact_orders.status <> '已取消'
    GROUP BY
      CAST(DATE_TRUNC('MONTH', fact_orders.order_date + INTERVAL '1 YEAR') AS DATE)
  ) AS stacked
  GROUP BY
    month
), result AS (
  SELECT
    combined.month,
    gmv__cur AS gmv,
    gmv__prev AS gmv_previous,
    gmv__cur - gmv__prev AS gmv_change,
    CAST((
      gmv__cur - gmv__prev
    ) AS DOUBLE PRECISION) / NULLIF(gmv__prev, 0) AS gmv_change_pct
  FROM combined
)
SELECT
  month,
  gmv,
  gmv_previous,
  gmv_change,
  gmv_change_pct
FROM result
ORDER BY
  month
