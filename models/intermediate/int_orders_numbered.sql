-- Kept orders with their person, whether they are a valid purchase (SPEC §3) and their rank
-- among the person's valid purchases (SPEC §6 purchase_number).
with

orders as (
    select
        order_id,
        customer_id,
        ordered_at,
        status,
        amount,
        coupon_code
    from {{ ref('int_orders_versioned') }}
    where row_disposition = 'kept'
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
        end as purchase_number
    from flagged
)

select * from final
