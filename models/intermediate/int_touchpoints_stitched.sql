-- Kept touchpoints with their person (identity stitching, docs/definitions.md §3) and the lifecycle
-- stage their event type maps to (docs/definitions.md §4; null for an unknown event type).
-- Incremental: the touchpoints deduplicated in this run, and every touchpoint of an anonymous_id
-- that this run saw together with a customer_id (its identification may have changed: earlier
-- anonymous touchpoints move to the customer).
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='touchpoint_id',
    on_schema_change='fail',
) }}

with

deduplicated as (
    select
        touchpoint_id,
        anonymous_id,
        customer_id,
        occurred_at,
        channel,
        event_type,
        campaign,
        row_disposition,
        loaded_at
    from {{ ref('int_touchpoints_deduplicated') }}
),

{% if as_of_is_incremental() -%}
    reidentified as (
        select distinct anonymous_id
        from deduplicated
        where
            loaded_at = {{ run_loaded_at() }}
            and anonymous_id is not null
            and customer_id is not null
    ),
{%- endif %}

touchpoints as (
    select
        touchpoint_id,
        anonymous_id,
        customer_id,
        occurred_at,
        channel,
        event_type,
        campaign
    from deduplicated
    where row_disposition = 'kept'
    {% if as_of_is_incremental() -%}
        and (
            loaded_at = {{ run_loaded_at() }}
            or anonymous_id in (select reidentified.anonymous_id from reidentified)
        )
    {%- endif %}
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
        touchpoints.campaign,
        {{ run_loaded_at() }} as loaded_at
    from touchpoints
    left join identities
        on touchpoints.anonymous_id = identities.anonymous_id
    left join event_stages
        on touchpoints.event_type = event_stages.event_type
    left join stages
        on event_stages.lifecycle_stage = stages.lifecycle_stage
)

select * from final
