{#-
    The rules of docs/definitions.md §5 in their order, from the counts they rest on (as of one
    date). Used for as_of (int_customer_types) and for every month end (customer_type_history), so
    that the two can never disagree on the rule.
-#}
{% macro customer_type_case(valid_order_count, days_since_last_order, days_since_last_advocacy) -%}
    case
        when {{ valid_order_count }} = 0 then 'potential'
        when {{ days_since_last_order }} > {{ var('lapsed_after_days') }} then 'lapsed'
        when {{ valid_order_count }} < {{ var('regular_min_orders') }} then 'new'
        when {{ days_since_last_advocacy }} <= {{ var('advocacy_window_days') }} then 'loyal'
        else 'regular'
    end
{%- endmacro %}

{#- The stage of rule 4 (loyal): its touchpoints count when they observe it (definitions §4), so
    that advocacy before the first valid purchase is left out by the seed lifecycle_stages. -#}
{% macro loyal_type_stage() -%}
    'advocacy'
{%- endmacro %}

{#- Whole days from the UTC date of a timestamp to an as-of date (docs/decisions.md #22). -#}
{% macro days_since(timestamp_expression, as_of_date) -%}
    {{ dbt.datediff('cast(' ~ timestamp_expression ~ ' as date)', as_of_date, 'day') }}
{%- endmacro %}
