with

customer_types as (
    select customer_type
    from {{ ref('customer_types') }}
),

customers as (
    select
        customer_type,
        valid_order_count,
        lifetime_revenue
    from {{ ref('dim_customers') }}
),

per_type as (
    select
        customer_type,
        count(*) as persons,
        sum(valid_order_count) as valid_orders,
        sum(lifetime_revenue) as revenue
    from customers
    group by customer_type
),

totals as (
    select count(*) as total_persons
    from customers
),

final as (
    select
        cast(customer_types.customer_type as {{ dbt.type_string() }}) as customer_type,
        cast(coalesce(per_type.persons, 0) as {{ dbt.type_bigint() }}) as persons,
        cast(
            case
                when totals.total_persons > 0
                    then coalesce(per_type.persons, 0) * 1.0 / totals.total_persons
            end as {{ type_double() }}
        ) as share_of_persons,
        cast(coalesce(per_type.valid_orders, 0) as {{ dbt.type_bigint() }}) as valid_orders,
        cast(coalesce(per_type.revenue, 0) as decimal(18, 2)) as revenue,
        {{ amount_per('per_type.revenue', 'per_type.persons') }} as avg_revenue_per_person
    from customer_types
    cross join totals
    left join per_type
        on customer_types.customer_type = per_type.customer_type
)

select * from final
