WITH combined AS (
  SELECT
    region,
    MAX(gmv__cur) AS gmv__cur,
    MAX(visitors__cur) AS visitors__cur,
    MAX(store_order_count__cur) AS store_order_count__cur
  FROM (
    SELECT
      dim_store.region AS region,
      SUM(fact_order_items.amount) AS gmv__cur,
      CAST(NULL AS DECIMAL) AS visitors__cur,
      CAST(NULL AS DECIMAL) AS store_order_count__cur
    FROM fact_order_items
    LEFT JOIN fact_orders
      ON fact_order_items.order_id = fact_orders.order_id
    LEFT JOIN dim_store
      ON fact_orders.store_id = dim_store.store_id
    WHERE
      fact_orders.order_date BETWEEN CAST('2026-11-09' AS DATE) AND CAST('2026-11-15' AS DATE)
      AND fact_orders.status <> '已取消'
      AND NOT dim_store.region IS NULL
    GROUP BY
      dim_store.region
    UNION ALL
    SELECT
      dim_store.region AS region,
      CAST(NULL AS DECIMAL) AS gmv__cur,
      SUM(fact_store_traffic.visitors) AS visitors__cur,
      CAST(NULL AS DECIMAL) AS store_order_count__cur
    FROM fact_store_traffic
    LEFT JOIN dim_store
      ON fact_store_traffic.store_id = dim_store.store_id
    WHERE
      fact_store_traffic.traffic_date BETWEEN CAST('2026-11-09' AS DATE) AND CAST('2026-11-15' AS DATE)
      AND NOT dim_store.region IS NULL
    GROUP BY
      dim_store.region
    UNION ALL
    SELECT
      dim_store.region AS region,
      CAST(NULL AS DECIMAL) AS gmv__cur,
      CAST(NULL AS DECIMAL) AS visitors__cur,
      COUNT(DISTINCT fact_orders.order_id) AS store_order_count__cur
    FROM fact_orders
    LEFT JOIN dim_store
      ON fact_orders.store_id = dim_store.store_id
    WHERE
      fact_orders.order_date BETWEEN CAST('2026-11-09' AS DATE) AND CAST('2026-11-15' AS DATE)
      AND fact_orders.status <> '已取消'
      AND fact_orders.channel = '门店'
      AND NOT dim_store.region IS NULL
    GROUP BY
      dim_store.region
  ) AS stacked
  GROUP BY
    region
), result AS (
  SELECT
    combined.region,
    gmv__cur AS gmv,
    visitors__cur AS visitors,
    CAST(COALESCE(store_order_count__cur, 0) AS DOUBLE PRECISION) / NULLIF(visitors__cur, 0) AS conversion_rate
  FROM combined
)
SELECT
  region,
  gmv,
  visitors,
  conversion_rate
FROM result
ORDER BY
  gmv DESC NULLS LAST,
  region
