{#-
    Apache Spark (dbt-spark) implementations of the project's dispatching macros. Tables are
    Parquet files in the warehouse folder (no Delta or Iceberg jars in a plain PySpark install).
-#}

{#- No delete+insert on Parquet (macros/incremental.sql): a full rebuild on every run. -#}
{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}


{#-
    try_cast to timestamp applies an offset and, without one, the session time zone (UTC in the
    profile), as DuckDB's cast to timestamptz. But Spark also reads words ('yesterday', 'now'),
    a time alone (today's date) and a year alone, which DuckDB rejects: the text must start
    with a date.
-#}
{% macro spark__to_utc_timestamp(column_name) -%}
    case
        when {{ column_name }} rlike '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([T ]|$)'
            then try_cast({{ column_name }} as timestamp)
    end
{%- endmacro %}
