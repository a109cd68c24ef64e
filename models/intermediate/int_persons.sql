-- One row per person found in a kept order or touchpoint (docs/definitions.md §6 dim_customers
-- grain), with what is known of them before any business rule: identity, first seen, acquisition
-- channel.
with

touchpoints as (
    select
        person_id,
        is_identified,
        touchpoint_id,
        occurred_at,
        channel
    from {{ ref('int_touchpoints_stitched') }}
),

orders as (
    select
        person_id,
        ordered_at
    from {{ ref('int_orders_numbered') }}
),

sightings as (
    select
        person_id,
        is_identified,
        occurred_at as seen_at
    from touchpoints
    union all
    -- orders always carry a customer_id
    select
        person_id,
        true as is_identified,
        ordered_at as seen_at
    from orders
),

persons as (
    select
        person_id,
        {{ dbt.bool_or('is_identified') }} as is_identified,
        min(seen_at) as first_seen_at
    from sightings
    group by person_id
),

first_touchpoints as (
    select
        person_id,
        channel,
        row_number() over (
            partition by person_id
            order by occurred_at asc, touchpoint_id asc
        ) as touch_order
    from touchpoints
),

final as (
    select
        persons.person_id,
        case when persons.is_identified then persons.person_id end as customer_id,
        persons.is_identified,
        persons.first_seen_at,
        first_touchpoints.channel as acquisition_channel
    from persons
    left join first_touchpoints
        on
            persons.person_id = first_touchpoints.person_id
            and first_touchpoints.touch_order = 1
)

select * from final
