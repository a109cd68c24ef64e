-- Kept touchpoints with their person (identity stitching, SPEC §3) and the lifecycle stage their
-- event type maps to (SPEC §4; null for an unknown event type).
with

touchpoints as (
    select
        touchpoint_id,
        anonymous_id,
        customer_id,
        occurred_at,
        channel,
        event_type,
        campaign
    from {{ ref('int_touchpoints_deduplicated') }}
    where row_disposition = 'kept'
),

identities as (
    select
        anonymous_id,
        customer_id
    from {{ ref('int_persons_identity_stitched') }}
),

event_stages as (
    select
        event_type,
        lifecycle_stage
    from {{ ref('lifecycle_event_stages') }}
),

stages as (
    select
        lifecycle_stage,
        stage_rank
    from {{ ref('lifecycle_stages') }}
),

final as (
    select
        touchpoints.touchpoint_id,
        coalesce(
            touchpoints.customer_id,
            identities.customer_id,
            {{ dbt.concat(["'anon:'", 'touchpoints.anonymous_id']) }}
        ) as person_id,
        coalesce(touchpoints.customer_id, identities.customer_id) is not null as is_identified,
        touchpoints.anonymous_id,
        touchpoints.customer_id,
        touchpoints.occurred_at,
        touchpoints.channel,
        touchpoints.event_type,
        event_stages.lifecycle_stage,
        stages.stage_rank,
        touchpoints.campaign
    from touchpoints
    left join identities
        on touchpoints.anonymous_id = identities.anonymous_id
    left join event_stages
        on touchpoints.event_type = event_stages.event_type
    left join stages
        on event_stages.lifecycle_stage = stages.lifecycle_stage
)

select * from final
