-- int_calendar_months is generated from at most calendar_max_months numbers: the months must
-- run without a gap from the month of the first usable row to the as-of month, or the monthly
-- marts would silently lose their oldest months.
with

months as (
    select month_start
    from {{ ref('int_calendar_months') }}
),

as_of as (
    select as_of_date
    from {{ ref('int_as_of_date') }}
),

order_versions as (
    select
        ordered_at,
        updated_at
    from {{ ref('int_orders_versioned') }}
    where row_disposition in ('kept', 'collapsed')
),

touchpoints as (
    select occurred_at
    from {{ ref('int_touchpoints_deduplicated') }}
    where row_disposition = 'kept'
),

first_dates as (
    select min(greatest(cast(ordered_at as date), cast(updated_at as date))) as first_date
    from order_versions
    union all
    select min(cast(occurred_at as date)) as first_date
    from touchpoints
),

expected as (
    select
        {{ month_start('min(first_dates.first_date)') }} as first_month_start,
        {{ month_start('max(as_of.as_of_date)') }} as last_month_start
    from first_dates
    cross join as_of
),

actual as (
    select
        min(month_start) as first_month_start,
        max(month_start) as last_month_start,
        count(*) as months
    from months
),

compared as (
    select
        expected.first_month_start as expected_first_month,
        actual.first_month_start as actual_first_month,
        expected.last_month_start as expected_last_month,
        actual.last_month_start as actual_last_month,
        actual.months,
        1 + {{ dbt.datediff('expected.first_month_start', 'expected.last_month_start', 'month') }}
            as expected_months
    from expected
    cross join actual
)

select *
from compared
where
    expected_first_month is not null
    and (
        actual_first_month is null
        or actual_first_month != expected_first_month
        or actual_last_month != expected_last_month
        or months != expected_months
    )
