-- Incremental (macros/incremental.sql): a run replaces the window days it re-reads from raw.
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='window_day',
    on_schema_change='fail',
) }}

with

source as (
    select
        touchpoint_id,
        anonymous_id,
        customer_id,
        occurred_at,
        channel,
        event_type,
        campaign
    from {{ source('raw', 'touchpoints') }}
),

cleaned as (
    select
        {{ clean_text('touchpoint_id') }} as touchpoint_id,
        {{ clean_text('anonymous_id') }} as anonymous_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ to_utc_timestamp(clean_text('occurred_at')) }} as occurred_at,
        {{ clean_text('channel', lower=true) }} as channel,
        {{ clean_text('event_type', lower=true) }} as event_type,
        {{ clean_text('campaign') }} as campaign,
        -- raw text is kept so that a quarantined row can be shown as it arrived
        cast(touchpoint_id as {{ dbt.type_string() }}) as raw_touchpoint_id,
        cast(anonymous_id as {{ dbt.type_string() }}) as raw_anonymous_id,
        cast(customer_id as {{ dbt.type_string() }}) as raw_customer_id,
        cast(occurred_at as {{ dbt.type_string() }}) as raw_occurred_at,
        cast(channel as {{ dbt.type_string() }}) as raw_channel,
        cast(event_type as {{ dbt.type_string() }}) as raw_event_type,
        cast(campaign as {{ dbt.type_string() }}) as raw_campaign
    from source
),

flagged as (
    select
        *,
        case
            when touchpoint_id is null then 'missing_id'
            when occurred_at is null then 'invalid_timestamp'
            -- dated after the load date: not loaded yet (decisions #64); a day of clock skew is allowed
            when cast(occurred_at as date) > {{ latest_accepted_day() }} then 'future_timestamp'
            when anonymous_id is null and customer_id is null then 'no_identity'
        end as quarantine_reason
    from cleaned
),

windowed as (
    select
        touchpoint_id,
        anonymous_id,
        customer_id,
        occurred_at,
        channel,
        event_type,
        campaign,
        quarantine_reason,
        quarantine_reason is not null as is_quarantined,
        raw_touchpoint_id,
        raw_anonymous_id,
        raw_customer_id,
        raw_occurred_at,
        raw_channel,
        raw_event_type,
        raw_campaign,
        -- the day a row is loaded by (unparseable: re-read every run)
        coalesce(cast(occurred_at as date), {{ unparsed_window_day() }}) as window_day,
        {{ run_loaded_at() }} as loaded_at
    from flagged
),

final as (
    select *
    from windowed
    {% if is_incremental() -%}
        where
            window_day >= {{ lookback_start_day() }}
            or window_day = {{ unparsed_window_day() }}
    {%- endif %}
)

select * from final
