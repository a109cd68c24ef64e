{#- The first day of the calendar month of a date or timestamp, as a date (cross-database). -#}
{% macro month_start(expression) -%}
    cast({{ dbt.date_trunc('month', expression) }} as date)
{%- endmacro %}
