-- Cohort retention (docs/decisions.md #27): persons grouped by the calendar month of their first
-- valid purchase; a person counts at months_since k when they made a valid purchase in the
-- month k months after their cohort month. Every cohort has a row for each month up to the
-- as-of month, also when nobody of the cohort bought in it.
with

orders as (
    select
        person_id,
        ordered_at,
        amount
    from {{ ref('int_orders_numbered') }}
    where is_valid_purchase
),

months as (
    select
        month_start,
        is_complete_month
    from {{ ref('int_calendar_months') }}
),

person_cohorts as (
    select
        person_id,
        {{ month_start('min(ordered_at)') }} as cohort_month
    from orders
    group by person_id
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_persons
    from person_cohorts
    group by cohort_month
),

cohort_months as (
    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_persons,
        months.month_start as activity_month,
        months.is_complete_month
    from cohort_sizes
    inner join months
        on cohort_sizes.cohort_month <= months.month_start
),

monthly_activity as (
    select
        person_cohorts.cohort_month,
        {{ month_start('orders.ordered_at') }} as activity_month,
        count(distinct orders.person_id) as retained_persons,
        sum(orders.amount) as revenue
    from orders
    inner join person_cohorts
        on orders.person_id = person_cohorts.person_id
    group by
        person_cohorts.cohort_month,
        {{ month_start('orders.ordered_at') }}
),

final as (
    select
        cohort_months.cohort_month,
        cast(
            {{ dbt.datediff('cohort_months.cohort_month', 'cohort_months.activity_month', 'month') }}
            as {{ dbt.type_int() }}
        ) as months_since,
        cohort_months.activity_month,
        cohort_months.is_complete_month,
        cast(cohort_months.cohort_persons as {{ dbt.type_bigint() }}) as cohort_persons,
        cast(coalesce(monthly_activity.retained_persons, 0) as {{ dbt.type_bigint() }}) as retained_persons,
        cast(
            coalesce(monthly_activity.retained_persons, 0) * 1.0 / cohort_months.cohort_persons
            as {{ type_double() }}
        ) as retention_rate,
        cast(coalesce(monthly_activity.revenue, 0) as decimal(18, 2)) as revenue,
        {{ amount_per('coalesce(monthly_activity.revenue, 0)', 'cohort_months.cohort_persons') }}
            as revenue_per_cohort_person
    from cohort_months
    left join monthly_activity
        on
            cohort_months.cohort_month = monthly_activity.cohort_month
            and cohort_months.activity_month = monthly_activity.activity_month
)

select * from final
