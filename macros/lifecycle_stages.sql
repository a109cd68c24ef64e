{#-
    Which stage an event observes (docs/definitions.md §4), stated once for both paths: as of
    as_of (int_stage_observations, int_customer_types) and at every month end
    (int_person_monthly_stages). Which stage each branch applies to is data, the columns of the
    seed lifecycle_stages, so no model names a stage to decide what observes it.
-#}

{#- A touchpoint of a stage observes it when the seed's observed_by_touchpoint is any_time, or
    at_or_after_first_valid_purchase and the touchpoint is at or after the person's first valid
    purchase (timestamps, docs/decisions.md #21; null when there is none); never when it is never.
    Arguments are SQL expressions. -#}
{% macro touchpoint_observes_stage(observed_by_touchpoint, occurred_at, first_valid_purchase_at) -%}
    (
        {{ observed_by_touchpoint }} = 'any_time'
        or (
            {{ observed_by_touchpoint }} = 'at_or_after_first_valid_purchase'
            and {{ occurred_at }} >= {{ first_valid_purchase_at }}
        )
    )
{%- endmacro %}

{#- Orders observe a stage once the person has k valid purchases, k being the seed's
    observed_by_valid_purchase (the first purchase observes purchase, the second loyalty), or has
    a kept cancelled or refunded order when observed_by_backed_out_order is true. Counted as of a
    point in time: at an order (its purchase number) or at a month end (the month's counts). -#}
{% macro orders_observe_stage(
    observed_by_valid_purchase, observed_by_backed_out_order, valid_purchases, backed_out_orders
) -%}
    (
        {{ observed_by_valid_purchase }} <= {{ valid_purchases }}
        or ({{ observed_by_backed_out_order }} and {{ backed_out_orders }} > 0)
    )
{%- endmacro %}
