{#-
    An amount divided by a count, as decimal(18, 2). DuckDB divides a decimal in double precision
    and its cast rounds the double: 92.55 / 10 = 9.2549999... gives 9.25. Engines that divide
    decimals exactly (Spark) would give 9.26; they reproduce DuckDB's result instead, so that the
    marts do not depend on the engine.
    Engines: duckdb (default), spark (engines/spark.sql).
-#}
{% macro amount_per(amount, count) -%}
    {{ return(adapter.dispatch('amount_per', 'customer_lifecycle')(amount, count)) }}
{%- endmacro %}

{% macro default__amount_per(amount, count) -%}
    cast({{ amount }} / {{ count }} as decimal(18, 2))
{%- endmacro %}
