WITH combined AS (
  SELECT
    fact_deliveries.distributor AS distributor,
    AVG(DATE_DIFF('DAY', fact_deliveries.order_date, fact_deliveries.delivered_date)) AS delivery_cycle_days__cur,
    AVG(
      CASE
        WHEN fact_deliveries.delivered_date <= fact_deliveries.promised_date
        THEN 1.0
        ELSE 0.0
      END
    ) AS on_time_delivery_rate__cur
  FROM fact_deliveries
  WHERE
    fact_deliveries.delivered_date BETWEEN CAST('2025-01-01' AS DATE) AND CAST('2025-12-31' AS DATE)
    AND NOT fact_deliveries.distributor IS NULL
  GROUP BY
    fact_deliveries.distributor
), result AS (
  SELECT
    combined.distributor,
    delivery_cycle_days__cur AS delivery_cycle_days,
    on_time_delivery_rate__cur AS on_time_delivery_rate
  FROM combined
)
SELECT
  distributor,
  delivery_cycle_days,
  on_time_delivery_rate
FROM result
ORDER BY
  delivery_cycle_days DESC,
  distributor
