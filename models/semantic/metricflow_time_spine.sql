-- One row per day from the first month of data to as_of: the time spine MetricFlow joins
-- metrics to (dbt semantic layer, docs/decisions.md #33).
with

day_numbers as (
    {{ dbt.generate_series(var('calendar_max_months') * 31) }}
),

calendar as (
    select
        min(month_start) as first_day,
        max(as_of_date) as last_day
    from {{ ref('int_calendar_months') }}
),

days as (
    select cast({{ dbt.dateadd('day', 'day_numbers.generated_number - 1', 'calendar.first_day') }} as date) as date_day
    from day_numbers
    cross join calendar
),

final as (
    select days.date_day
    from days
    cross join calendar
    where days.date_day <= calendar.last_day
)

select * from final
