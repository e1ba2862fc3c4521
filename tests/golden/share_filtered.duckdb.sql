WITH combined AS (
  SELECT
    dim_product.category AS category,
    SUM(fact_order_items.amount) AS gmv__cur
  FROM fact_order_items
  LEFT JOIN dim_product
    ON fact_order_items.product_id = dim_product.product_id
  LEFT JOIN fact_orders
    ON fact_order_items.order_id = fact_orders.order_id
  LEFT JOIN dim_store
    ON fact_orders.store_id = dim_store.store_id
  WHERE
    fact_orders.order_date BETWEEN CAST('2025-07-01' AS DATE) AND CAST('2025-09-30' AS DATE)
    AND fact_orders.status <> '已取消'
    AND NOT (
      dim_store.region IN ('华东') OR dim_store.region_en IN ('华东')
    )
    AND NOT dim_product.category IS NULL
  GROUP BY
    dim_product.category
), totals AS (
  SELECT
    SUM(fact_order_items.amount) AS gmv__cur
  FROM fact_order_items
  LEFT JOIN fact_orders
    ON fact_order_items.order_id = fact_orders.order_id
  LEFT JOIN dim_store
    ON fact_orders.store_id = dim_store.store_id
  WHERE
    fact_orders.order_date BETWEEN CAST('2025-07-01' AS DATE) AND CAST('2025-09-30' AS DATE)
    AND fact_orders.status <> '已取消'
    AND NOT (
      dim_store.region IN ('华东') OR dim_store.region_en IN ('华东')
    )
), result AS (
  SELECT
    combined.category,
    combined.gmv__cur AS gmv,
    combined.gmv__cur / NULLIF(totals.gmv__cur, 0) AS gmv_share
  FROM combined
  CROSS JOIN totals
)
SELECT
  category,
  gmv,
  gmv_share
FROM result
ORDER BY
  gmv DESC,
  category
