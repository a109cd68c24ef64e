-- The single as-of date every model describes the world at (definitions §5): the var `as_of` when
-- given, otherwise the latest UTC date among kept orders and touchpoints (decisions #8): a
-- superseded order version or a re-sent touchpoint does not move it. It never passes the load
-- date (decisions #64): a kept row dated the day after is later than as_of, and an explicit
-- as_of after the load date stops the run.
{{ assert_as_of_not_after_load_date() }}

with

orders as (
    select
        order_id,
        ordered_at,
        updated_at
    from {{ ref('stg_raw__orders') }}
    where not is_quarantined
),

touchpoints as (
    select
        touchpoint_id,
        occurred_at
    from {{ ref('stg_raw__touchpoints') }}
    where not is_quarantined
),

order_versions as (
    select
        ordered_at,
        updated_at,
        max(updated_at) over (partition by order_id) as latest_updated_at
    from orders
),

kept_touchpoints as (
    -- a touchpoint sent again is a duplicate: the kept row is its earliest (decisions #11)
    select min(occurred_at) as occurred_at
    from touchpoints
    group by touchpoint_id
),

latest_dates as (
    -- with no as_of yet, the kept version of an order is its latest written one (definitions §3; on
    -- a tie the later ordered_at is kept, which is the latest date of the tied versions)
    select max(greatest(cast(ordered_at as date), cast(updated_at as date))) as latest_date
    from order_versions
    where updated_at = latest_updated_at
    union all
    select max(cast(occurred_at as date)) as latest_date
    from kept_touchpoints
),

final as (
    select
        coalesce(
            cast({{ "'" ~ var('as_of') ~ "'" if var('as_of', none) else 'null' }} as date),
            -- not least(): it would turn "no kept rows" (null) into the load date
            case
                when max(latest_date) > {{ load_date() }} then {{ load_date() }}
                else max(latest_date)
            end
        ) as as_of_date
    from latest_dates
)

select * from final
