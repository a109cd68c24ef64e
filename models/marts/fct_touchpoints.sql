-- Incremental: the touchpoints int_touchpoints_stitched (re)computed in this run.
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='touchpoint_id',
    on_schema_change='fail',
) }}

with

touchpoints as (
    select
        touchpoint_id,
        person_id,
        anonymous_id,
        customer_id,
        occurred_at,
        channel,
        event_type,
        lifecycle_stage,
        campaign
    from {{ ref('int_touchpoints_stitched') }}
    {% if as_of_is_incremental() -%}
        where loaded_at = {{ run_loaded_at() }}
    {%- endif %}
),

final as (
    select
        cast(touchpoint_id as {{ dbt.type_string() }}) as touchpoint_id,
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(anonymous_id as {{ dbt.type_string() }}) as anonymous_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(event_type as {{ dbt.type_string() }}) as event_type,
        cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(campaign as {{ dbt.type_string() }}) as campaign
    from touchpoints
)

select * from final
