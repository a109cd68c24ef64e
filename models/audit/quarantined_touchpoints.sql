-- Raw touchpoint rows that cannot be used, as they arrived, with the first reason that applies.
with

touchpoints as (
    select
        raw_touchpoint_id,
        raw_anonymous_id,
        raw_customer_id,
        raw_occurred_at,
        raw_channel,
        raw_event_type,
        raw_campaign,
        quarantine_reason
    from {{ ref('stg_raw__touchpoints') }}
    where is_quarantined
),

final as (
    select
        raw_touchpoint_id as touchpoint_id,
        raw_anonymous_id as anonymous_id,
        raw_customer_id as customer_id,
        raw_occurred_at as occurred_at,
        raw_channel as channel,
        raw_event_type as event_type,
        raw_campaign as campaign,
        quarantine_reason
    from touchpoints
)

select * from final
