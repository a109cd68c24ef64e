-- One row per calendar month from the first month with usable data to the as-of month: the
-- points in time of the monthly marts. A month is described as of its last day, or as of
-- as_of itself for the as-of month, which may be partial (docs/decisions.md #26).
with

month_numbers as (
    -- 1, 2, ... calendar_max_months: how many months before the as-of month, plus one
    {{ dbt.generate_series(var('calendar_max_months')) }}
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
    -- an order version exists from the later of its two dates (decisions #9)
    select min(greatest(cast(ordered_at as date), cast(updated_at as date))) as first_date
    from order_versions
    union all
    select min(cast(occurred_at as date)) as first_date
    from touchpoints
),

data_start as (
    select {{ month_start('min(first_date)') }} as first_month_start
    from first_dates
),

months as (
    select
        cast(
            {{ dbt.dateadd('month', '1 - month_numbers.generated_number', month_start('as_of.as_of_date')) }}
            as date
        ) as month_start,
        as_of.as_of_date
    from month_numbers
    cross join as_of
),

final as (
    select
        months.month_start,
        {{ dbt.last_day('months.month_start', 'month') }} as month_end_date,
        least({{ dbt.last_day('months.month_start', 'month') }}, months.as_of_date) as as_of_date,
        {{ dbt.last_day('months.month_start', 'month') }} <= months.as_of_date as is_complete_month
    from months
    cross join data_start
    where months.month_start >= data_start.first_month_start
)

select * from final
