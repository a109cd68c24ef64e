-- Kept orders with their person, whether they are a valid purchase (docs/definitions.md §3) and
-- their rank among the person's valid purchases (docs/definitions.md §6 purchase_number).
-- Incremental: every kept order of each person with an order version recomputed in this run
-- (a new order or a refund renumbers the person's purchases).
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    on_schema_change='fail',
) }}

with

versions as (
    select
        order_id,
        customer_id,
        ordered_at,
        status,
        amount,
        coupon_code,
        row_disposition,
        loaded_at
    from {{ ref('int_orders_versioned') }}
),

orders as (
    select
        order_id,
        customer_id,
        ordered_at,
        status,
        amount,
        coupon_code
    from versions
    where row_disposition = 'kept'
    {% if as_of_is_incremental() -%}
        and customer_id in (
            select changed.customer_id
            from versions as changed
            where changed.loaded_at = {{ run_loaded_at() }}
        )
    {%- endif %}
),

flagged as (
    select
        order_id,
        customer_id as person_id,
        ordered_at,
        status,
        amount,
        coupon_code,
        {{ is_valid_purchase_status('status') }} as is_valid_purchase
    from orders
),

final as (
    select
        *,
        case
            when is_valid_purchase then row_number() over (
                partition by person_id, is_valid_purchase
                order by ordered_at asc, order_id asc
            )
        end as purchase_number,
        {{ run_loaded_at() }} as loaded_at
    from flagged
)

select * from final
