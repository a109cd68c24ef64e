{#-
    A 64-bit float for ratios and medians. dbt.type_float() is a 32-bit FLOAT on DuckDB, too
    coarse for shares that must add up to 1.
    Engines: duckdb and spark (default: double), postgres (macros/engines/postgres.sql).
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'customer_lifecycle')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}
