WITH combined AS (
  SELECT
    city,
    MAX(gmv__cur) AS gmv__cur,
    MAX(order_count__cur) AS order_count__cur
  FROM (
    SELECT
      dim_store.city AS city,
      SUM(fact_order_items.amount) AS gmv__cur,
      CAST(NULL AS DECIMAL) AS order_count__cur
    FROM fact_order_items
    LEFT JOIN fact_orders
      ON fact_order_items.order_id = fact_orders.order_id
    LEFT JOIN dim_store
      ON fact_orders.store_id = dim_store.store_id
    WHERE
      fact_orders.order_date BETWEEN CAST('2026-07-01' AS DATE) AND CAST('2026-09-30' AS DATE)
      AND fact_orders.status <> '已取消'
      AND NOT dim_store.city IS NULL
    GROUP BY
      dim_store.city
    UNION ALL
    SELECT
      dim_store.city AS city,
      CAST(NULL AS DECIMAL) AS gmv__cur,
      COUNT(DISTINCT fact_orders.order_id) AS order_count__cur
    FROM fact_orders
    LEFT JOIN dim_store
      ON fact_orders.store_id = dim_store.store_id
    WHERE
      fact_orders.order_date BETWEEN CAST('2026-07-01' AS DATE) AND CAST('2026-09-30' AS DATE)
      AND fact_orders.status <> '已取消'
      AND NOT dim_store.city IS NULL
    GROUP BY
      dim_store.city
  ) AS stacked
  GROUP BY
    city
), result AS (
  SELECT
    combined.city,
    gmv__cur AS gmv,
    CAST(COALESCE(gmv__cur, 0) AS DOUBLE PRECISION) / NULLIF(order_count__cur, 0) AS aov
  FROM combined
)
SELECT
  city,
  gmv,
  aov
FROM result
WHERE
  gmv > 100000.0
ORDER BY
  gmv DESC NULLS LAST,
  city
