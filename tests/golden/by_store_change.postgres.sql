WITH combined AS (
  SELECT
    store,
    MAX(gmv__cur) AS gmv__cur,
    MAX(gmv__prev) AS gmv__prev
  FROM (
    SELECT
      dim_store.store_name AS store,
      SUM(fact_order_items.amount) AS gmv__cur,
      CAST(NULL AS DECIMAL) AS gmv__prev
    FROM fact_order_items
    LEFT JOIN fact_orders
      ON fact_order_items.order_id = fact_orders.order_id
    LEFT JOIN dim_store
      ON fact_orders.store_id = dim_store.store_id
    WHERE
      fact_orders.order_date BETWEEN CAST('2026-10-01' AS DATE) AND CAST('2026-10-31' AS DATE)
      AND fact_orders.status <> '已取消'
      AND NOT dim_store.store_name IS NULL
    GROUP BY
      dim_store.store_name
    UNION ALL
    SELECT
      dim_store.store_name AS store,
      CAST(NULL AS DECIMAL) AS gmv__cur,
      SUM(fact_order_items.amount) AS gmv__prev
    FROM fact_order_items
    LEFT JOIN fact_orders
      ON fact_order_items.order_id = fact_orders.order_id
    LEFT JOIN dim_store
      ON fact_orders.store_id = dim_store.store_id
    WHERE
      fact_orders.order_date BETWEEN CAST('2026-09-01' AS DATE) AND CAST('2026-09-30' AS DATE)
      AND fact_orders.status <> '已取消'
      AND NOT dim_store.store_name IS NULL
    GROUP BY
      dim_store.store_name
  ) AS stacked
  GROUP BY
    store
), result AS (
  SELECT
    combined.store,
    gmv__cur AS gmv,
    gmv__prev AS gmv_previous,
    gmv__cur - gmv__prev AS gmv_change,
    CAST((
      gmv__cur - gmv__prev
    ) AS DOUBLE PRECISION) / NULLIF(gmv__prev, 0) AS gmv_change_pct
  FROM combined
)
SELECT
  store,
  gmv,
  gmv_previous,
  gmv_change,
  gmv_change_pct
FROM result
ORDER BY
  gmv_change_pct ASC,
  store
LIMIT 1
