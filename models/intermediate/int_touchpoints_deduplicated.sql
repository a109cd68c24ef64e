-- Every raw touchpoint row with its disposition (definitions §3): quarantined, after_as_of, kept
-- (the earliest row of its touchpoint_id) or collapsed (a duplicate).
-- Incremental: every row of a touchpoint_id that staging loaded in this run, or with a row that
-- as_of has moved past, is recomputed; rows without a touchpoint_id share the key '' (all of
-- them are recomputed together).
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='touchpoint_key',
    on_schema_change='fail',
) }}

with

staged as (
    select
        touchpoint_id,
        anonymous_id,
        customer_id,
        occurred_at,
        channel,
        event_type,
        campaign,
        is_quarantined,
        coalesce(touchpoint_id, '') as touchpoint_key,
        loaded_at
    from {{ ref('stg_raw__touchpoints') }}
),

as_of as (
    select as_of_date
    from {{ ref('int_as_of_date') }}
),

{% if as_of_is_incremental() -%}
    keys_crossing_as_of as (
        -- rows stored on the other side of as_of than they fall now: a duplicate sent after the
        -- previous as_of, which later data has reached (decisions #46)
        select previous.touchpoint_key
        from {{ this }} as previous
        cross join as_of
        where
            previous.row_disposition <> 'quarantined'
            and (previous.row_disposition = 'after_as_of')
            <> (cast(previous.occurred_at as date) > as_of.as_of_date)
    ),
{%- endif %}

touchpoints as (
    select *
    from staged
    {% if as_of_is_incremental() -%}
        where touchpoint_key in (
            select changed.touchpoint_key
            from staged as changed
            where changed.loaded_at = {{ run_loaded_at() }}
            union all
            select keys_crossing_as_of.touchpoint_key
            from keys_crossing_as_of
        )
    {%- endif %}
),

dated as (
    select
        touchpoints.*,
        (
            not touchpoints.is_quarantined
            and cast(touchpoints.occurred_at as date) <= as_of.as_of_date
        ) as is_visible_as_of
    from touchpoints
    cross join as_of
),

ranked as (
    select
        *,
        case
            when is_visible_as_of then row_number() over (
                partition by touchpoint_id, is_visible_as_of
                -- same id and time: keep the row that never loses an identification (decisions #11)
                order by
                    occurred_at asc,
                    customer_id asc nulls last,
                    anonymous_id asc nulls last,
                    channel asc nulls last,
                    event_type asc nulls last,
                    campaign asc nulls last
            )
        end as duplicate_number
    from dated
),

final as (
    select
        touchpoint_id,
        anonymous_id,
        customer_id,
        occurred_at,
        channel,
        event_type,
        campaign,
        case
            when is_quarantined then 'quarantined'
            when not is_visible_as_of then 'after_as_of'
            when duplicate_number = 1 then 'kept'
            else 'collapsed'
        end as row_disposition,
        touchpoint_key,
        {{ run_loaded_at() }} as loaded_at
    from ranked
)

select * from final
