-- Each person's customer type and lifecycle stage as of the end of every month from their first
-- appearance to as_of (decisions #29-#31): for month M, what dim_customers says when the project
-- runs with as_of = M's last day (as_of itself for the as-of month). Incremental by month: a run
-- recomputes the last stored month(s) and the new ones; every month when the settings changed.
-- The stage comes from int_person_monthly_stages; the type depends on each month's as-of date, so
-- it is applied here, to the months this run builds, by the macro of int_customer_types.
{%- set settings = {
    'lapsed_after_days': var('lapsed_after_days'),
    'regular_min_orders': var('regular_min_orders'),
    'advocacy_window_days': var('advocacy_window_days'),
    'raw_dir': var('raw_dir', none),
} %}
{%- set settings_hash = local_md5(tojson(settings, sort_keys=true)) %}

{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='month_start',
        on_schema_change='fail',
        pre_hook=[
            "{% if is_incremental() %}delete from {{ this }} where month_start not in"
            ~ " (select month_start from {{ ref('int_calendar_months') }}){% endif %}"
        ],
    )
}}

with

states as (
    select
        person_id,
        change_month,
        next_change_month,
        is_present,
        valid_order_count,
        lifetime_revenue,
        last_order_at
    from {{ ref('int_person_monthly_states') }}
),

state_stages as (
    select
        person_id,
        change_month,
        lifecycle_stage,
        last_advocacy_at
    from {{ ref('int_person_monthly_stages') }}
),

months as (
    select
        month_start,
        as_of_date,
        is_complete_month
    from {{ ref('int_calendar_months') }}
),

{% if is_incremental() %}
    stored as (
        select
            max(month_start) as last_stored_month,
            {{ dbt.bool_or("run_settings_hash != '" ~ settings_hash ~ "'") }} as settings_changed
        from {{ this }}
    ),
{% endif %}

months_to_build as (
    select
        months.month_start,
        months.as_of_date,
        months.is_complete_month
    from months
    {% if is_incremental() %}
        cross join stored
        where
            stored.last_stored_month is null
            or stored.settings_changed
            or months.month_start >= {{ dbt.dateadd(
                'month', 1 - var('history_reprocess_months'), 'stored.last_stored_month'
            ) }}
    {% endif %}
),

person_months as (
    -- each state holds from its change month until the next one
    select
        states.person_id,
        months_to_build.month_start,
        months_to_build.as_of_date,
        months_to_build.is_complete_month,
        states.valid_order_count,
        states.lifetime_revenue,
        state_stages.lifecycle_stage,
        {{ days_since('states.last_order_at', 'months_to_build.as_of_date') }}
            as days_since_last_order,
        {{ days_since('state_stages.last_advocacy_at', 'months_to_build.as_of_date') }}
            as days_since_last_advocacy
    from states
    inner join months_to_build
        on
            states.change_month <= months_to_build.month_start
            and (
                states.next_change_month is null
                or states.next_change_month > months_to_build.month_start
            )
    left join state_stages
        on
            states.person_id = state_stages.person_id
            and states.change_month = state_stages.change_month
    where states.is_present
),

final as (
    select
        month_start,
        as_of_date,
        is_complete_month,
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(
            {{ customer_type_case('valid_order_count', 'days_since_last_order', 'days_since_last_advocacy') }}
            as {{ dbt.type_string() }}
        ) as customer_type,
        cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(valid_order_count as {{ dbt.type_bigint() }}) as valid_order_count,
        cast(lifetime_revenue as decimal(18, 2)) as lifetime_revenue,
        cast(days_since_last_order as {{ dbt.type_bigint() }}) as days_since_last_order,
        cast('{{ settings_hash }}' as {{ dbt.type_string() }}) as run_settings_hash
    from person_months
)

select * from final
