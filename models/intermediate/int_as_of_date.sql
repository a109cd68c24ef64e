-- The single as-of date every model describes the world at (SPEC §5): the var `as_of` when
-- given, otherwise the latest UTC date of any timestamp on a usable raw row (decisions #8).
with

orders as (
    select
        ordered_at,
        updated_at
    from {{ ref('stg_raw__orders') }}
    where not is_quarantined
),

touchpoints as (
    select occurred_at
    from {{ ref('stg_raw__touchpoints') }}
    where not is_quarantined
),

latest_dates as (
    select max(cast(ordered_at as date)) as latest_date from orders
    union all
    select max(cast(updated_at as date)) as latest_date from orders
    union all
    select max(cast(occurred_at as date)) as latest_date from touchpoints
),

final as (
    select
        coalesce(
            cast({{ "'" ~ var('as_of') ~ "'" if var('as_of', none) else 'null' }} as date),
            max(latest_date)
        ) as as_of_date
    from latest_dates
)

select * from final
