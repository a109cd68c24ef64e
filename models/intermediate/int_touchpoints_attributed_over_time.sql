-- Every kept touchpoint with the person it belongs to over a range of as-of dates (definitions §3
-- identity stitching applied at every date up to as_of, decisions #29). A touchpoint with a
-- customer_id always belongs to it. An anonymous touchpoint belongs to 'anon:<anonymous_id>'
-- until the UTC date its anonymous_id is first identified, and to that customer from then on
-- (retroactively: also when it happened before the identification).
with

touchpoints as (
    select
        touchpoint_id,
        anonymous_id,
        customer_id,
        occurred_at,
        lifecycle_stage
    from {{ ref('int_touchpoints_stitched') }}
),

identities as (
    select
        anonymous_id,
        customer_id,
        identified_at
    from {{ ref('int_persons_identity_stitched') }}
),

anonymous_touchpoints as (
    select
        touchpoints.touchpoint_id,
        touchpoints.anonymous_id,
        touchpoints.occurred_at,
        touchpoints.lifecycle_stage,
        cast(touchpoints.occurred_at as date) as occurred_on,
        identities.customer_id as identified_customer_id,
        cast(identities.identified_at as date) as identified_on
    from touchpoints
    left join identities
        on touchpoints.anonymous_id = identities.anonymous_id
    where touchpoints.customer_id is null
),

own_customer as (
    select
        touchpoint_id,
        customer_id as person_id,
        occurred_at,
        lifecycle_stage,
        cast(occurred_at as date) as attributed_from_date,
        cast(null as date) as attributed_until_date
    from touchpoints
    where customer_id is not null
),

anonymous_person as (
    -- before the identification, if the touchpoint happened before it
    select
        touchpoint_id,
        {{ dbt.concat(["'anon:'", 'anonymous_id']) }} as person_id,
        occurred_at,
        lifecycle_stage,
        occurred_on as attributed_from_date,
        identified_on as attributed_until_date
    from anonymous_touchpoints
    where identified_on is null or occurred_on < identified_on
),

identified_customer as (
    select
        touchpoint_id,
        identified_customer_id as person_id,
        occurred_at,
        lifecycle_stage,
        greatest(occurred_on, identified_on) as attributed_from_date,
        cast(null as date) as attributed_until_date
    from anonymous_touchpoints
    where identified_customer_id is not null
),

final as (
    select * from own_customer
    union all
    select * from anonymous_person
    union all
    select * from identified_customer
)

select * from final
