-- The monthly marts have a point in time for every month of the data: each month in which a
-- kept order version came to exist (the later of its two dates, docs/decisions.md #9) or a kept
-- touchpoint (as fct_touchpoints publishes it) happened has its row in int_calendar_months, the
-- months run without a gap, and the last one is the as-of month. Checked month by month against
-- the data, not by computing the calendar's first month the way the model does, so that a wrong
-- rule cannot agree with itself.
with

months as (
    select month_start
    from {{ ref('int_calendar_months') }}
),

as_of as (
    select as_of_date
    from {{ ref('int_as_of_date') }}
),

orders as (
    select greatest(ordered_at, updated_at) as exists_from
    from {{ ref('int_orders_versioned') }}
    where row_disposition = 'kept'
),

touchpoints as (
    select occurred_at
    from {{ ref('fct_touchpoints') }}
),

months_with_data as (
    select {{ month_start('cast(orders.exists_from as date)') }} as month_start
    from orders
    cross join as_of
    where cast(orders.exists_from as date) <= as_of.as_of_date
    union distinct
    select {{ month_start('cast(touchpoints.occurred_at as date)') }} as month_start
    from touchpoints
    cross join as_of
    where cast(touchpoints.occurred_at as date) <= as_of.as_of_date
),

uncovered_months as (
    select
        months_with_data.month_start,
        'a month with data has no calendar row' as problem
    from months_with_data
    left join months
        on months_with_data.month_start = months.month_start
    where months.month_start is null
),

calendar_shape as (
    select
        min(month_start) as first_month_start,
        max(month_start) as last_month_start,
        count(*) as months
    from months
),

misshapen_calendar as (
    select
        calendar_shape.last_month_start as month_start,
        'the calendar does not end at the as-of month' as problem
    from calendar_shape
    cross join as_of
    where calendar_shape.last_month_start != {{ month_start('as_of.as_of_date') }}
    union all
    select
        calendar_shape.first_month_start as month_start,
        'the calendar has a gap' as problem
    from calendar_shape
    where
        calendar_shape.months
        != 1 + {{ dbt.datediff(
            'calendar_shape.first_month_start', 'calendar_shape.last_month_start', 'month'
        ) }}
)

select * from uncovered_months
union all
select * from misshapen_calendar
