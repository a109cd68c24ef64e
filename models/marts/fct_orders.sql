-- Incremental: the orders int_orders_numbered (re)computed in this run.
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    on_schema_change='fail',
) }}

with

orders as (
    select
        order_id,
        person_id,
        ordered_at,
        status,
        amount,
        coupon_code,
        is_valid_purchase,
        purchase_number
    from {{ ref('int_orders_numbered') }}
    {% if as_of_is_incremental() -%}
        where loaded_at = {{ run_loaded_at() }}
    {%- endif %}
),

final as (
    select
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(ordered_at as {{ dbt.type_timestamp() }}) as ordered_at,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(amount as decimal(18, 2)) as amount,
        cast(coupon_code as {{ dbt.type_string() }}) as coupon_code,
        is_valid_purchase,
        cast(purchase_number as {{ dbt.type_bigint() }}) as purchase_number
    from orders
)

select * from final
