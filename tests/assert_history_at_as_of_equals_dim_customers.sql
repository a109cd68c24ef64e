-- customer_type_history's as-of month describes the world as of as_of, like dim_customers: the
-- same persons with the same type, stage and order facts (issue 6 acceptance test). Rows of
-- either side missing from the other are returned.
with

as_of_month as (
    select max(month_start) as month_start
    from {{ ref('int_calendar_months') }}
),

history as (
    select
        customer_type_history.person_id,
        customer_type_history.customer_type,
        customer_type_history.lifecycle_stage,
        customer_type_history.valid_order_count,
        customer_type_history.lifetime_revenue,
        customer_type_history.days_since_last_order,
        customer_type_history.as_of_date
    from {{ ref('customer_type_history') }} as customer_type_history
    inner join as_of_month
        on customer_type_history.month_start = as_of_month.month_start
),

customers as (
    select
        person_id,
        customer_type,
        lifecycle_stage,
        valid_order_count,
        lifetime_revenue,
        days_since_last_order,
        as_of_date
    from {{ ref('dim_customers') }}
),

only_in_history as (
    select * from history
    {{ dbt.except() }}
    select * from customers
),

only_in_dim_customers as (
    select * from customers
    {{ dbt.except() }}
    select * from history
),

final as (
    select
        'only in customer_type_history' as found,
        person_id,
        customer_type,
        lifecycle_stage,
        valid_order_count,
        lifetime_revenue,
        days_since_last_order,
        as_of_date
    from only_in_history
    union all
    select
        'only in dim_customers' as found,
        person_id,
        customer_type,
        lifecycle_stage,
        valid_order_count,
        lifetime_revenue,
        days_since_last_order,
        as_of_date
    from only_in_dim_customers
)

select * from final
