{#-
    An amount divided by a count (an average per person), as decimal(18, 2). DuckDB divides a
    decimal in double precision and rounds the double to cents, so 92.55 / 10 is 9.25, where an
    exact decimal division gives 9.26; every engine must round like DuckDB, or the marts differ
    by a cent (0.06 % of random amounts and counts).
    Engines: duckdb (default), postgres and spark (macros/engines/).
-#}
{% macro amount_per(amount, count) -%}
    {{ return(adapter.dispatch('amount_per', 'customer_lifecycle')(amount, count)) }}
{%- endmacro %}

{% macro default__amount_per(amount, count) -%}
    cast({{ amount }} / {{ count }} as decimal(18, 2))
{%- endmacro %}
