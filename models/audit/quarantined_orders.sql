-- Raw order rows that cannot be used, as they arrived, with the first reason that applies.
with

orders as (
    select
        raw_order_id,
        raw_customer_id,
        raw_ordered_at,
        raw_updated_at,
        raw_status,
        raw_amount,
        raw_coupon_code,
        quarantine_reason
    from {{ ref('stg_raw__orders') }}
    where is_quarantined
),

final as (
    select
        raw_order_id as order_id,
        raw_customer_id as customer_id,
        raw_ordered_at as ordered_at,
        raw_updated_at as updated_at,
        raw_status as status,
        raw_amount as amount,
        raw_coupon_code as coupon_code,
        quarantine_reason
    from orders
)

select * from final
