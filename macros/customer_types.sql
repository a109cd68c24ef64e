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
