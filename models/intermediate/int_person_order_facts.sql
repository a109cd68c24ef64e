-- Per person with a kept order: the valid-purchase facts of dim_customers (decisions #17).
with

orders as (
    select
        person_id,
        ordered_at,
        amount,
        is_valid_purchase
    from {{ ref('int_orders_numbered') }}
),

final as (
    select
        person_id,
        min(case when is_valid_purchase then ordered_at end) as first_order_at,
        max(case when is_valid_purchase then ordered_at end) as last_order_at,
        sum(case when is_valid_purchase then 1 else 0 end) as valid_order_count,
        coalesce(sum(case when is_valid_purchase then amount end), 0) as lifetime_revenue
    from orders
    group by person_id
)

select * from final
