WITH combined AS (
  SELECT
    production_line,
    MAX(running_minutes__cur) AS running_minutes__cur,
    MAX(planned_minutes__cur) AS planned_minutes__cur,
    MAX(good_qty__cur) AS good_qty__cur,
    MAX(output_qty__cur) AS output_qty__cur
  FROM (
    SELECT
      dim_production_line.line_name AS production_line,
      SUM(fact_equipment_daily.running_minutes) AS running_minutes__cur,
      SUM(fact_equipment_daily.planned_minutes) AS planned_minutes__cur,
      CAST(NULL AS DECIMAL) AS good_qty__cur,
      CAST(NULL AS DECIMAL) AS output_qty__cur
    FROM fact_equipment_daily
    LEFT JOIN dim_production_line
      ON fact_equipment_daily.line_id = dim_production_line.line_id
    WHERE
      fact_equipment_daily.record_date BETWEEN CAST('2026-10-01' AS DATE) AND CAST('2026-10-31' AS DATE)
      AND NOT dim_production_line.line_name IS NULL
    GROUP BY
      dim_production_line.line_name
    UNION ALL
    SELECT
      dim_production_line.line_name AS production_line,
      CAST(NULL AS DECIMAL) AS running_minutes__cur,
      CAST(NULL AS DECIMAL) AS planned_minutes__cur,
      SUM(fact_production_daily.good_qty) AS good_qty__cur,
      SUM(fact_production_daily.produced_qty) AS output_qty__cur
    FROM fact_production_daily
    LEFT JOIN dim_production_line
      ON fact_production_daily.line_id = dim_production_line.line_id
    WHERE
      fact_production_daily.record_date BETWEEN CAST('2026-10-01' AS DATE) AND CAST('2026-10-31' AS DATE)
      AND NOT dim_production_line.line_name IS NULL
    GROUP BY
      dim_production_line.line_name
  ) AS stacked
  GROUP BY
    production_line
), result AS (
  SELECT
    combined.production_line,
    CAST(COALESCE(running_minutes__cur, 0) AS DOUBLE PRECISION) / NULLIF(planned_minutes__cur, 0) AS equipment_utilization,
    CAST(COALESCE(good_qty__cur, 0) AS DOUBLE PRECISION) / NULLIF(output_qty__cur, 0) AS yield_rate
  FROM combined
)
SELECT
  production_line,
  equipment_utilization,
  yield_rate
FROM result
ORDER BY
  equipment_utilization DESC NULLS LAST,
  production_line
