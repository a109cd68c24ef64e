{#-
    Median of a numeric expression as an aggregate.
    Engines: duckdb (default; also Spark >= 3.4 has median), postgres (macros/engines/postgres.sql).
-#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'customer_lifecycle')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    median({{ expression }})
{%- endmacro %}
