-- Key and volume profile of each mart, for the data-quality suites: aggregates stay in the
-- warehouse, whatever the size of the marts.
with

dim_customers as (
    select person_id
    from {{ ref('dim_customers') }}
),

customer_lifecycle_stages as (
    select
        person_id,
        lifecycle_stage
    from {{ ref('customer_lifecycle_stages') }}
),

fct_orders as (
    select order_id
    from {{ ref('fct_orders') }}
),

fct_touchpoints as (
    select touchpoint_id
    from {{ ref('fct_touchpoints') }}
),

lifecycle_funnel as (
    select lifecycle_stage
    from {{ ref('lifecycle_funnel') }}
),

customer_type_summary as (
    select customer_type
    from {{ ref('customer_type_summary') }}
),

reconciliation as (
    select kept_rows
    from {{ ref('row_reconciliation') }}
),

profiles as (
    select
        'dim_customers' as mart_name,
        count(*) as row_count,
        count(distinct person_id) as distinct_keys,
        sum(case when person_id is null then 1 else 0 end) as null_keys
    from dim_customers
    union all
    select
        'customer_lifecycle_stages' as mart_name,
        count(*) as row_count,
        count(distinct {{ dbt.concat(['person_id', "'|'", 'lifecycle_stage']) }}) as distinct_keys,
        sum(case when person_id is null or lifecycle_stage is null then 1 else 0 end) as null_keys
    from customer_lifecycle_stages
    union all
    select
        'fct_orders' as mart_name,
        count(*) as row_count,
        count(distinct order_id) as distinct_keys,
        sum(case when order_id is null then 1 else 0 end) as null_keys
    from fct_orders
    union all
    select
        'fct_touchpoints' as mart_name,
        count(*) as row_count,
        count(distinct touchpoint_id) as distinct_keys,
        sum(case when touchpoint_id is null then 1 else 0 end) as null_keys
    from fct_touchpoints
    union all
    select
        'lifecycle_funnel' as mart_name,
        count(*) as row_count,
        count(distinct lifecycle_stage) as distinct_keys,
        sum(case when lifecycle_stage is null then 1 else 0 end) as null_keys
    from lifecycle_funnel
    union all
    select
        'customer_type_summary' as mart_name,
        count(*) as row_count,
        count(distinct customer_type) as distinct_keys,
        sum(case when customer_type is null then 1 else 0 end) as null_keys
    from customer_type_summary
),

inputs as (
    select sum(kept_rows) as input_rows
    from reconciliation
),

final as (
    select
        cast(profiles.mart_name as {{ dbt.type_string() }}) as mart_name,
        cast(profiles.row_count as {{ dbt.type_bigint() }}) as row_count,
        cast(profiles.distinct_keys as {{ dbt.type_bigint() }}) as distinct_keys,
        cast(coalesce(profiles.null_keys, 0) as {{ dbt.type_bigint() }}) as null_keys,
        cast(inputs.input_rows as {{ dbt.type_bigint() }}) as input_rows,
        -- every mart has rows as soon as any input row was kept (the funnel and the summary always)
        cast(
            case
                when profiles.mart_name in ('lifecycle_funnel', 'customer_type_summary') then 1
                when inputs.input_rows > 0 then 1
                else 0
            end as {{ dbt.type_bigint() }}
        ) as min_expected_rows
    from profiles
    cross join inputs
)

select * from final
