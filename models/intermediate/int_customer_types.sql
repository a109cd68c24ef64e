-- Per person, the customer type as of as_of (docs/definitions.md §5, by the rule of
-- macros/customer_types.sql), with the two day counts it rests on.
with

persons as (
    select person_id
    from {{ ref('int_persons') }}
),

order_facts as (
    select
        person_id,
        first_order_at,
        last_order_at,
        valid_order_count
    from {{ ref('int_person_order_facts') }}
),

advocacy_touches as (
    select
        person_id,
        occurred_at,
        lifecycle_stage
    from {{ ref('int_touchpoints_stitched') }}
    where lifecycle_stage = {{ loyal_type_stage() }}
),

stages as (
    select
        lifecycle_stage,
        observed_by_touchpoint
    from {{ ref('lifecycle_stages') }}
),

as_of as (
    select as_of_date
    from {{ ref('int_as_of_date') }}
),

latest_advocacy as (
    -- only advocacy touchpoints that observe the stage count (definitions §4-5): as shipped, not
    -- those before the first valid purchase
    select
        advocacy_touches.person_id,
        max(advocacy_touches.occurred_at) as last_advocacy_at
    from advocacy_touches
    inner join stages
        on advocacy_touches.lifecycle_stage = stages.lifecycle_stage
    left join order_facts
        on advocacy_touches.person_id = order_facts.person_id
    where
        {{ touchpoint_observes_stage(
            'stages.observed_by_touchpoint', 'advocacy_touches.occurred_at', 'order_facts.first_order_at'
        ) }}
    group by advocacy_touches.person_id
),

measured as (
    select
        persons.person_id,
        coalesce(order_facts.valid_order_count, 0) as valid_order_count,
        {{ days_since('order_facts.last_order_at', 'as_of.as_of_date') }}
            as days_since_last_order,
        {{ days_since('latest_advocacy.last_advocacy_at', 'as_of.as_of_date') }}
            as days_since_last_advocacy
    from persons
    cross join as_of
    left join order_facts
        on persons.person_id = order_facts.person_id
    left join latest_advocacy
        on persons.person_id = latest_advocacy.person_id
),

final as (
    select
        person_id,
        days_since_last_order,
        days_since_last_advocacy,
        {{ customer_type_case('valid_order_count', 'days_since_last_order', 'days_since_last_advocacy') }}
            as customer_type
    from measured
)

select * from final
