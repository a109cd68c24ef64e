{#-
    Text cleaning shared by the staging models (docs/definitions.md §3): trimmed, empty is null.
    Trimming takes every ASCII whitespace character, not only spaces (plain trim() on DuckDB and
    Postgres): a status exported as "<tab>paid" is paid, not an unknown status. The standard
    trim(both ... from ...) reads the same on DuckDB, Postgres and Spark.
-#}
{% macro clean_text(column_name, lower=false) -%}
    {%- set whitespace = "chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)" -%}
    {%- set trimmed = "nullif(trim(both " ~ whitespace ~ " from cast(" ~ column_name ~ " as "
        ~ dbt.type_string() ~ ")), '')" -%}
    {%- if lower -%}lower({{ trimmed }}){%- else -%}{{ trimmed }}{%- endif -%}
{%- endmacro %}


{#-
    Parses an ISO 8601 text timestamp to a UTC timestamp without time zone; null when it cannot
    be parsed. An offset is converted to UTC; no offset means UTC (the profile sets the session
    time zone to UTC, which is what the cast applies to such values).
    Engines: duckdb (default), postgres and spark (macros/engines/).
-#}
{% macro to_utc_timestamp(column_name) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'customer_lifecycle')(column_name)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(column_name) -%}
    timezone('UTC', try_cast({{ column_name }} as timestamptz))
{%- endmacro %}


{#-
    Parses a text amount to decimal(18, 2); null when it is not a number (the sign is kept, so
    that staging can quarantine negative amounts). dbt.safe_cast is a plain cast on DuckDB.
    Engines: duckdb and spark (default: try_cast is the same on both), postgres
    (macros/engines/postgres.sql).
-#}
{% macro to_amount(column_name) -%}
    {{ return(adapter.dispatch('to_amount', 'customer_lifecycle')(column_name)) }}
{%- endmacro %}

{% macro default__to_amount(column_name) -%}
    try_cast({{ column_name }} as decimal(18, 2))
{%- endmacro %}
