{#-
    docs/definitions.md §2 lists the order statuses in this order; the order breaks ties between
    versions of an order written at the same time (docs/definitions.md §3). cancelled and refunded
    are not valid purchases.
-#}
{% macro order_statuses() -%}
    {{ return(['placed', 'paid', 'shipped', 'completed', 'cancelled', 'refunded']) }}
{%- endmacro %}

{% macro invalid_purchase_statuses() -%}
    {{ return(['cancelled', 'refunded']) }}
{%- endmacro %}

{#- A status's position in the list of docs/definitions.md §2 (1 = placed); null when unknown. -#}
{% macro order_status_rank(column_name) -%}
    case {{ column_name }}
        {%- for status in order_statuses() %}
        when '{{ status }}' then {{ loop.index }}
        {%- endfor %}
    end
{%- endmacro %}

{% macro is_valid_purchase_status(column_name) -%}
    ({{ column_name }} not in ('{{ invalid_purchase_statuses() | join("', '") }}'))
{%- endmacro %}
