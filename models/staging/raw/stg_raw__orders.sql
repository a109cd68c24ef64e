-- Incremental (macros/incremental.sql): a run replaces the window days it re-reads from raw.
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='window_day',
    on_schema_change='fail',
) }}
-- the status map is read at compile time (macros/order_status_map.sql)
-- depends_on: {{ ref('order_status_map') }}

with

source as (
    select
        order_id,
        customer_id,
        ordered_at,
        updated_at,
        status,
        amount,
        coupon_code
    from {{ source('raw', 'orders') }}
),

cleaned as (
    select
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ to_utc_timestamp(clean_text('ordered_at')) }} as ordered_at,
        {{ to_utc_timestamp(clean_text('updated_at')) }} as parsed_updated_at,
        {{ normalised_order_status(clean_text('status', lower=true)) }} as status,
        {{ to_amount(clean_text('amount')) }} as amount,
        {{ clean_text('coupon_code') }} as coupon_code,
        -- raw text is kept so that a quarantined row can be shown as it arrived
        cast(order_id as {{ dbt.type_string() }}) as raw_order_id,
        cast(customer_id as {{ dbt.type_string() }}) as raw_customer_id,
        cast(ordered_at as {{ dbt.type_string() }}) as raw_ordered_at,
        cast(updated_at as {{ dbt.type_string() }}) as raw_updated_at,
        cast(status as {{ dbt.type_string() }}) as raw_status,
        cast(amount as {{ dbt.type_string() }}) as raw_amount,
        cast(coupon_code as {{ dbt.type_string() }}) as raw_coupon_code
    from source
),

flagged as (
    select
        order_id,
        customer_id,
        ordered_at,
        coalesce(parsed_updated_at, ordered_at) as updated_at,
        status,
        {{ order_status_rank('status') }} as status_rank,
        amount,
        coupon_code,
        case
            when order_id is null then 'missing_id'
            when customer_id is null then 'missing_customer_id'
            when ordered_at is null then 'invalid_timestamp'
            -- a present but unparseable updated_at is as bad as a bad ordered_at
            when parsed_updated_at is null and {{ clean_text('raw_updated_at') }} is not null
                then 'invalid_timestamp'
            -- dated after the load date: not loaded yet (decisions #64); a day of clock skew is allowed
            when
                cast(ordered_at as date) > {{ latest_accepted_day() }}
                or cast(parsed_updated_at as date) > {{ latest_accepted_day() }}
                then 'future_timestamp'
            when {{ order_status_rank('status') }} is null then 'unknown_status'
            when amount is null or amount < 0 then 'invalid_amount'
        end as quarantine_reason,
        raw_order_id,
        raw_customer_id,
        raw_ordered_at,
        raw_updated_at,
        raw_status,
        raw_amount,
        raw_coupon_code
    from cleaned
),

windowed as (
    -- the day a row is loaded by: when this version was written, or its later ordered_at, so
    -- that a future-dated row keeps its day until the load date reaches it (decisions #64);
    -- unparseable: re-read every run
    select
        *,
        quarantine_reason is not null as is_quarantined,
        coalesce(
            greatest(cast(ordered_at as date), cast(updated_at as date)), {{ unparsed_window_day() }}
        ) as window_day,
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
