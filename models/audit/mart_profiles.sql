{#- Each mart and the columns of its key (SPEC §6 grain). -#}
{%- set mart_keys = {
    'dim_customers': ['person_id'],
    'customer_lifecycle_stages': ['person_id', 'lifecycle_stage'],
    'fct_orders': ['order_id'],
    'fct_touchpoints': ['touchpoint_id'],
    'lifecycle_funnel': ['lifecycle_stage'],
    'customer_type_summary': ['customer_type'],
} %}
{%- set key_expressions = {} %}
{%- for mart_name, key_columns in mart_keys.items() %}
    {%- set parts = [key_columns[0]] %}
    {%- for column in key_columns[1:] %}
        {%- do parts.extend(["'|'", column]) %}
    {%- endfor %}
    {%- do key_expressions.update({mart_name: dbt.concat(parts) if parts | length > 1 else parts[0]}) %}
{%- endfor %}
-- Key and volume profile of each mart, for the data-quality suites: aggregates stay in the
-- warehouse, whatever the size of the marts.
with

reconciliation as (
    select kept_rows
    from {{ ref('row_reconciliation') }}
),

profiles as (
    {%- for mart_name, key_columns in mart_keys.items() %}
        select
            '{{ mart_name }}' as mart_name,
            count(*) as row_count,
            count(distinct {{ key_expressions[mart_name] }}) as distinct_keys,
            sum(case when {{ key_columns | join(' is null or ') }} is null then 1 else 0 end) as null_keys
        from {{ ref(mart_name) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

inputs as (
    select sum(kept_rows) as input_rows
    from reconciliation
),

final as (
    select
        cast(profiles.mart_name as {{ dbt.type_string() }}) as mart_name,
        cast(profiles.row_count as {{ dbt.type_bigint() }}) as row_count,
        cast(profiles.distinct_keys as {{ dbt.type_bigint() }}) as distinct_keys,
        cast(coalesce(profiles.null_keys, 0) as {{ dbt.type_bigint() }}) as null_keys,
        cast(inputs.input_rows as {{ dbt.type_bigint() }}) as input_rows,
        -- every mart has rows as soon as any input row was kept (the funnel and the summary always)
        cast(
            case
                when profiles.mart_name in ('lifecycle_funnel', 'customer_type_summary') then 1
                when inputs.input_rows > 0 then 1
                else 0
            end as {{ dbt.type_bigint() }}
        ) as min_expected_rows
    from profiles
    cross join inputs
)

select * from final
